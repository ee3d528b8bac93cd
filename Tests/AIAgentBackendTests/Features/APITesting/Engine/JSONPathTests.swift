import Testing
@testable import AIAgentBackend

@Suite struct JSONPathTests {
    static let document: JSONValue = [
        "store": [
            "books": [
                ["title": "A", "price": 8, "tags": ["x"]],
                ["title": "B", "price": 12],
                ["title": "C", "price": 20, "isbn": "1-2"],
            ],
            "owner": ["name": "ann", "key with space": true],
        ],
        "id": 7,
    ]

    static func select(_ path: String) throws -> [JSONValue] {
        try JSONPath(path).matches(in: document)
    }

    @Test func membersIndexesAndWildcards() throws {
        #expect(try Self.select("$") == [Self.document])
        #expect(try Self.select("$.id") == [7])
        #expect(try Self.select("$['store']['owner']['key with space']") == [true])
        #expect(try Self.select("$.store.books[0].title") == ["A"])
        #expect(try Self.select("$.store.books[-1].title") == ["C"])
        #expect(try Self.select("$.store.books[*].price") == [8, 12, 20])
        #expect(try Self.select("$.store.books[0,2].title") == ["A", "C"])
        #expect(try Self.select("$.store.books[9]").isEmpty)
        #expect(try Self.select("$.missing.deeper").isEmpty)
    }

    @Test func slicesAndRecursiveDescent() throws {
        #expect(try Self.select("$.store.books[0:2].title") == ["A", "B"])
        #expect(try Self.select("$.store.books[1:].title") == ["B", "C"])
        #expect(try Self.select("$.store.books[:-1].title") == ["A", "B"])
        #expect(try Self.select("$.store.books[::2].title") == ["A", "C"])
        #expect(try Self.select("$..title") == ["A", "B", "C"])
        #expect(try Self.select("$..name") == ["ann"])
    }

    @Test func filters() throws {
        #expect(try Self.select("$.store.books[?(@.price > 10)].title") == ["B", "C"])
        #expect(try Self.select("$.store.books[?(@.price <= 12)].title") == ["A", "B"])
        #expect(try Self.select("$.store.books[?(@.title == 'B')].price") == [12])
        #expect(try Self.select("$.store.books[?(@.title != 'B')].price") == [8, 20])
        #expect(try Self.select("$.store.books[?(@.price >= 20)].title") == ["C"])
        #expect(try Self.select("$.store.books[?(@.price < 9)].title") == ["A"])
        #expect(try Self.select("$.store.books[?(@.isbn)].title") == ["C"])
        #expect(try Self.select("$.store.books[?@.tags[0] == \"x\"].title") == ["A"])
    }

    @Test func definiteness() throws {
        #expect(try JSONPath("$.a.b[0]").isDefinite)
        #expect(try !JSONPath("$.a[*]").isDefinite)
        #expect(try !JSONPath("$..a").isDefinite)
        #expect(try !JSONPath("$.a[?(@.b == 1)]").isDefinite)
    }

    @Test(arguments: ["", "a.b", "$.", "$[", "$['a'", "$[?(@.a == )]", "$[1:2:0]", "$.a b", "$[?(x)]"])
    func parseErrors(_ text: String) {
        #expect(throws: JSONPath.ParseError.self) { try JSONPath(text) }
    }
}
