import Testing
@testable import AIAgentBackend

@Suite struct ChunkerTests {
    /// Every chunk is the exact slice of the source its offsets name, within the size.
    static func checkSlices(_ chunks: [TextChunk], of text: String, size: Int) {
        let scalars = Array(text.unicodeScalars)
        for chunk in chunks {
            #expect(String(String.UnicodeScalarView(scalars[chunk.start..<chunk.end])) == chunk.text)
            #expect(chunk.tokens == TokenEstimate.count(chunk.text))
            #expect(chunk.tokens <= size, "\(chunk.text)")
        }
    }

    @Test func tokenEstimateCountsCJKCharactersOneEach() {
        #expect(TokenEstimate.count("abcd") == 1)
        #expect(TokenEstimate.count("abcde") == 2)
        #expect(TokenEstimate.count("你好") == 2)
        #expect(TokenEstimate.count("hello 你好") == 4)
        #expect(TokenEstimate.count("") == 0)
    }

    @Test func recursiveKeepsParagraphsWhole() {
        let text = "First paragraph here.\n\nSecond one.\n\nThird paragraph."
        let chunks = Chunker(strategy: .recursive, size: 8, overlap: 0).chunks(of: text)
        #expect(chunks.map(\.text) == ["First paragraph here.", "Second one.\n\nThird paragraph."])
        #expect(chunks.map(\.start) == [0, 23])
        #expect(chunks.allSatisfy { $0.headingPath.isEmpty })
        Self.checkSlices(chunks, of: text, size: 8)
    }

    @Test func recursiveSplitsChineseSentences() {
        let text = "机器学习是人工智能的一个分支。它让计算机从数据中学习！深度学习使用神经网络？"
        let chunks = Chunker(strategy: .recursive, size: 20, overlap: 0).chunks(of: text)
        #expect(chunks.map(\.text) == ["机器学习是人工智能的一个分支。", "它让计算机从数据中学习！", "深度学习使用神经网络？"])
        #expect(chunks.map(\.start) == [0, 15, 27])
        Self.checkSlices(chunks, of: text, size: 20)
    }

    @Test func overlapCarriesWholeSentences() {
        let text = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota. Kappa lambda mu."
        let chunks = Chunker(strategy: .recursive, size: 12, overlap: 6).chunks(of: text)
        #expect(
            chunks.map(\.text) == [
                "Alpha beta gamma. Delta epsilon zeta.", "Delta epsilon zeta. Eta theta iota.", "Eta theta iota. Kappa lambda mu.",
            ])
        Self.checkSlices(chunks, of: text, size: 12)
    }

    @Test func aSentenceLongerThanTheSizeIsCut() {
        let text = String(repeating: "x", count: 100)
        let chunks = Chunker(strategy: .recursive, size: 10, overlap: 0).chunks(of: text)
        #expect(chunks.map(\.text.count) == [40, 40, 20])
        Self.checkSlices(chunks, of: text, size: 10)
    }

    @Test func markdownSectionsCarryTheirHeadingPath() {
        let text = """
            Intro line.

            # Guide

            Welcome.

            ## Install

            Run the installer.

            ```
            # not a heading
            ```

            # FAQ

            Questions.
            """
        let chunks = Chunker(strategy: .markdown, size: 512, overlap: 0).chunks(of: text)
        #expect(chunks.map(\.headingPath) == [[], ["Guide"], ["Guide", "Install"], ["FAQ"]])
        #expect(
            chunks.map(\.text) == [
                "Intro line.", "# Guide\n\nWelcome.", "## Install\n\nRun the installer.\n\n```\n# not a heading\n```", "# FAQ\n\nQuestions.",
            ])
        #expect(chunks[2].indexedText.hasPrefix("Guide > Install\n## Install"))
        Self.checkSlices(chunks, of: text, size: 512)
    }

    @Test func keywordTermsCutChineseIntoBigramsAndTrigrams() {
        #expect(KeywordTerms.terms("Vector search 向量检索!") == ["vector", "search", "向量", "量检", "检索"])
        let terms = KeywordTerms.ftsTerms("Vector DB a 向量检索 的 vector")
        #expect(terms.words == ["vector", "db"])
        #expect(terms.cjk == ["向量检", "量检索"])
        #expect(KeywordTerms.ftsMatch(terms.words) == "\"vector\" OR \"db\"")
        #expect(KeywordTerms.tsQuery("a b a") == "'a' | 'b'")
        let none = KeywordTerms.ftsTerms("a 的")
        #expect(none.words.isEmpty && none.cjk.isEmpty)
        let texts = KeywordTerms.ftsTexts("Hybrid search: 混合检索，向量。Done!")
        #expect(texts.words == "hybrid search done")
        #expect(texts.cjk == "混合检索\n向量")
    }

    @Test func highlightsMarkTheQueryTerms() {
        let ranges = Highlighter("vector search").ranges(in: "Exact Vector search, and vectors.")
        #expect(ranges == [.init(start: 6, end: 12), .init(start: 13, end: 19), .init(start: 25, end: 31)])
        #expect(Highlighter("向量检索").ranges(in: "支持向量检索。") == [.init(start: 2, end: 6)])
    }
}
