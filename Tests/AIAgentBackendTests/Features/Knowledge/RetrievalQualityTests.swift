import Foundation
import Testing
@testable import AIAgentBackend

/// A small labelled set, English and Chinese: each query and the document it must find.
/// Records every mode's recall@5; hybrid must do at least as well as either single mode.
@Suite struct RetrievalQualityTests {
    static let documents = [
        "To rotate API keys, create a new key in the console, deploy it to every service, and revoke the old key after traffic moves.",
        "Nightly backups are copied to object storage at two in the morning and kept for thirty days before deletion.",
        "Error ERR_4521 means the upload exceeded the size limit; split the file or raise MAX_BODY_SIZE on the server.",
        "The billing team sends invoices on the first business day of each month, payable within fourteen days.",
        "Single sign-on uses SAML; administrators upload the identity provider metadata XML in the security settings.",
        "Rate limits allow one hundred requests per minute per token; a 429 answer carries a Retry-After header.",
        "Webhooks are retried with exponential backoff for up to twenty-four hours when the receiver fails.",
        "Dark mode follows the operating system preference unless the user picks a theme in profile settings.",
        "Exports produce CSV files with one row per order, including tax, shipping cost and the discount code.",
        "The mobile app caches articles offline for seven days and syncs reading progress when connectivity returns.",
        "向量检索先用嵌入模型把文本转换成向量，再按余弦相似度找出最接近的片段。",
        "数据库每天凌晨两点自动备份，备份文件在对象存储中保留三十天。",
        "新员工入职第一周需要完成安全培训，并在系统中签署保密协议。",
        "报销申请需要上传发票照片，财务部门会在五个工作日内审核。",
        "会议室可以在日历中预订，每次最多两个小时，取消请提前通知。",
        "服务器出现故障时，值班工程师会在十五分钟内响应并通知相关团队。",
    ]

    /// Query → index of the document it must find.
    static let queries: [(String, Int)] = [
        ("how to rotate keys", 0), ("rotating credentials safely", 0), ("when are backups taken", 1), ("ERR_4521", 2),
        ("upload too large error", 2), ("monthly invoices payment terms", 3), ("SAML identity provider metadata", 4),
        ("too many requests 429", 5), ("webhook retries backoff", 6), ("night theme preference", 7), ("csv export of orders", 8),
        ("read articles without internet", 9), ("如何用向量查找相似文本", 10), ("备份保留多久", 11), ("入职安全培训", 12),
        ("发票报销审核时间", 13), ("预订会议室", 14), ("故障响应时间", 15),
    ]

    @Test(arguments: DatabaseKind.allCases)
    func hybridRecallIsAtLeastEachSingleMode(_ kind: DatabaseKind) async throws {
        let settings = try await knowledgeSettings(kind)
        try await FakeLLMProvider.with { fake in
            fake.respond { FakeEmbeddings.reply(to: $0) }
            try await withServices(settings) { _, client in
                let token = try await client.login().accessToken
                let model = try await client.createModel(fake, kind: .openaiCompatible, token: token)
                let base = try await client.createKnowledgeBase(["name": "Labelled", "embedding_model_id": model], token: token)
                for (index, text) in Self.documents.enumerated() {
                    let id = try await client.addDocument(text, filename: "doc-\(index).txt", to: base, token: token)
                    #expect(try await client.waitForDocument(id, in: base, token: token)["status"]?.string == "ready")
                }
                var recall: [SearchMode: Double] = [:]
                for mode in SearchMode.allCases {
                    var found = 0
                    for (query, target) in Self.queries {
                        let results = try await client.search(base, ["query": query, "mode": mode.rawValue, "top_k": 5], token: token)
                        if results["items"]?.array?.contains(where: { $0["document_name"]?.string == "doc-\(target).txt" }) == true { found += 1 }
                    }
                    recall[mode] = Double(found) / Double(Self.queries.count)
                }
                print("recall@5 on \(kind.rawValue): " + SearchMode.allCases.map { "\($0.rawValue) \(recall[$0]!)" }.joined(separator: ", "))
                #expect(recall[.hybrid]! >= recall[.vector]!)
                #expect(recall[.hybrid]! >= recall[.keyword]!)
                #expect(recall[.hybrid]! >= 0.8)
            }
        }
    }
}
