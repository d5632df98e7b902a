/// The OpenAPI 3 description served at `/openapi.yaml` (kept in one place, inside the binary).
enum OpenAPIDocument {
    static let yaml = """
        openapi: 3.0.3
        info:
          title: ccpool
          version: 0.1.0
          description: A sharded pool of gRPC client connections and the truth about each of them.
        paths:
          /healthz:
            get:
              operationId: healthz
              responses:
                '200': {description: The process serves.}
          /readyz:
            get:
              operationId: readyz
              responses:
                '200': {description: Ready.}
                '503': {description: Not ready, with the reason.}
        """
}
