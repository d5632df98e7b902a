import HTTPServer

/// Why a dashboard page cannot be shown: a status (400 for bad query parameters or names, 404 for an
/// unknown target, 503 when the history store fails) and a sentence for the operator.
///
/// The HTML routes answer these with an HTML error page (``ErrorPage``), not the API's JSON error shape: a
/// person in a browser reads them. The `code` is the API's snake_case code, shown on the page and in
/// `data-code` for scripts.
struct DashboardError: Error, Sendable, Equatable {
    var status: Int
    var code: String
    var message: String

    static func badParameter(_ message: String) -> DashboardError {
        DashboardError(status: 400, code: "invalid_parameter", message: message)
    }
}
