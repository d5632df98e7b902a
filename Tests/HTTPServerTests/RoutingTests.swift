import HTTPServer
import Testing

@Suite struct RoutingTests {
    @Test func requestTargetParsing() throws {
        let target = try RequestTarget(parsing: "/v1/targets/a%20b?since=1&x=%2B+")
        #expect(target.segments == ["v1", "targets", "a b"])
        #expect(target.rawPath == "/v1/targets/a%20b")
        #expect(target.rawQuery == "since=1&x=%2B+")
        #expect(target.query.map(\.name) == ["since", "x"])
        #expect(target.query[1].value == "+ ")
        #expect(try RequestTarget(parsing: "/").segments == [])
        #expect(try RequestTarget(parsing: "http://host:9090/metrics?x").segments == ["metrics"])
        #expect(try RequestTarget(parsing: "/a#frag").segments == ["a"])
    }

    @Test(arguments: ["/..", "/a/../b", "/a/%2e%2E", "/./a", "/%ff", "/a%2Fb", "/%00", "/%", "/%g0", "*", "", "/?a=%ff"])
    func badTargetsAreRefused(_ raw: String) {
        #expect(throws: HTTPError.self) { try RequestTarget(parsing: raw) }
        do { _ = try RequestTarget(parsing: raw) } catch { #expect(error.status == 400) }
    }

    @Test func routerMatchesPatternsAndMethods() {
        var router = Router()
        router.get("/v1/targets") { _ in .text("list") }
        router.get("/v1/targets/{name}") { r in .text("get " + r.parameter("name")!) }
        router.delete("/v1/targets/{name}") { r in .text("delete " + r.parameter("name")!) }
        router.post("/v1/targets/{name}/pick") { r in .text("pick " + r.parameter("name")!) }

        func run(_ method: HTTPMethod, _ target: String) -> (Int, String, String?) {
            let (response, _) = router.respond(method: method, target: target, headers: HTTPHeaders(), body: [])
            return (response.status, String(decoding: response.bodyBytes, as: UTF8.self), response.headers["Allow"])
        }
        #expect(run(.get, "/v1/targets").1 == "list")
        #expect(run(.get, "/v1/targets/pay%2Dments").1 == "get pay-ments")
        #expect(run(.head, "/v1/targets/x").1 == "get x")
        #expect(run(.delete, "/v1/targets/x").1 == "delete x")
        #expect(run(.post, "/v1/targets/x/pick").1 == "pick x")
        #expect(run(.put, "/v1/targets/x").0 == 405)
        #expect(run(.put, "/v1/targets/x").2 == "DELETE, GET, HEAD")
        #expect(run(.get, "/v1/targets/x/pick").2 == "POST")
        #expect(run(.get, "/v2").0 == 404)
    }

    @Test func adminAuthRules() {
        func status(_ auth: AdminAuth, _ header: String?) -> (Int, String)? {
            do {
                try auth.check(authorization: header)
                return nil
            } catch {
                return (error.status, error.code)
            }
        }
        let disabled = AdminAuth(token: nil)
        #expect(status(disabled, "Bearer x")! == (403, "admin_disabled"))
        #expect(status(AdminAuth(token: ""), nil)! == (403, "admin_disabled"))
        let auth = AdminAuth(token: "tok-123")
        #expect(status(auth, nil)! == (401, "unauthorized"))
        #expect(status(auth, "Basic dG9rLTEyMw==")! == (401, "unauthorized"))
        #expect(status(auth, "Bearer")! == (401, "unauthorized"))
        #expect(status(auth, "Bearer tok-12")! == (403, "forbidden"))
        #expect(status(auth, "Bearer tok-1234")! == (403, "forbidden"))
        #expect(status(auth, "Bearer TOK-123")! == (403, "forbidden"))
        #expect(status(auth, "Bearer tok-123") == nil)
        #expect(status(auth, "bearer   tok-123 ") == nil)
    }

    @Test func errorShapeEscapesJSON() {
        let error = HTTPError(status: 400, code: "bad_value", message: "a \"quoted\"\nline\u{1}")
        #expect(String(decoding: error.response.bodyBytes, as: UTF8.self)
            == #"{"error":{"code":"bad_value","message":"a \"quoted\"\nline\u0001"}}"#)
        #expect(error.response.headers["content-type"] == "application/json")
    }
}
