import HTTPServer

// The HTTP server's request method and header list, under names that do not collide with NIOHTTP1's
// (which the peer client's files import, and which the module name `HTTPServer` cannot qualify: it is
// also the name of the server's class).
typealias ServerHTTPMethod = HTTPMethod
typealias ServerHTTPHeaders = HTTPHeaders
