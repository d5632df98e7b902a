/// The OpenAPI 3.1 description served at `/openapi.yaml`: every route of API.md with its parameters, bodies,
/// responses and error codes (kept in one place, inside the binary; no SwiftPM resources).
///
/// Change it together with API.md and the routes: `OpenAPIDocumentTests` checks that every route of
/// ``APIRouter`` appears here with exactly its methods, and `Tests/API/schemathesis.sh` checks the live server
/// against it.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: ccpool
          version: 0.1.0
          summary: A sharded pool of gRPC client connections and the truth about each of them.
          description: |
            The HTTP surface of `ccpool serve` (API.md). Every body is JSON except `/metrics`, `/openapi.yaml` and `/`.

            Errors are `{"error": {"code": "<snake_case>", "message": "<human sentence>"}}` with the matching status.
            Rules that hold for every path:
            - a method a path does not have answers 405 `method_not_allowed` with an `Allow` header listing the
              methods it has (`HEAD` is answered wherever `GET` is);
            - a path no route matches answers 404 `not_found`;
            - a request target that is not visible ASCII, has a malformed percent escape, decodes to invalid UTF-8,
              or has a `.`/`..` segment or an encoded `/` or NUL in a segment answers 400 `invalid_path`;
            - a body is judged on the headers, before it is read: larger than 1 MiB (1048576 bytes), larger than
              the route's own limit, or sent to a route that takes none (every `GET` and `DELETE`) answers 413
              `body_too_large`, and the connection is closed; `PUT` and `POST` need `Content-Type:
              application/json` (415 `unsupported_media_type` otherwise);
            - expensive work has a cap: history, availability and target pages beyond the free history readers,
              and picks beyond the waiting ones allowed, answer 503 `overloaded` at once (with `Retry-After`);
            - a request that has not arrived whole within the server's request timeout (15 s by default) is cut
              off, however slowly it trickles;
            - a request line or header block too large for the connection's 64 KiB answers 414 or 431 with
              libmicrohttpd's own short HTML body (not the JSON error shape).

            Admin operations (`PUT` and `DELETE /v1/targets/{name}`) need `Authorization: Bearer <token>`:
            no header → 401 `unauthorized` (with `WWW-Authenticate: Bearer`); a wrong token → 403 `forbidden`;
            no token configured on the server → 403 `admin_disabled`; 10 wrong tokens from one client address
            within a minute → 429 `too_many_attempts` (with `Retry-After`) until the minute ends. Credentials are
            checked before the body is read. A rejected request changes nothing.
          license:
            name: Proprietary
            identifier: LicenseRef-ccpool
        servers:
          - url: /
        security: []
        tags:
          - name: probes
          - name: metrics
          - name: targets
          - name: history
          - name: documents

        paths:
          /metrics:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            get:
              operationId: getMetrics
              tags: [metrics]
              summary: Prometheus exposition of the pool, the history store and the process.
              description: |
                Text format 0.0.4 by default; OpenMetrics 1.0 (ending in `# EOF`) when the `Accept` header prefers
                `application/openmetrics-text`. Gzip-compressed (`Content-Encoding: gzip`) when `Accept-Encoding`
                allows it. METRICS.md lists the families.
              responses:
                '200':
                  description: The metrics.
                  headers:
                    Vary:
                      required: true
                      schema: {type: string, const: 'Accept, Accept-Encoding'}
                    Content-Encoding:
                      description: Present, as `gzip`, when the body is compressed.
                      schema: {type: string, const: gzip}
                  content:
                    text/plain; version=0.0.4; charset=utf-8:
                      schema: {type: string}
                    application/openmetrics-text; version=1.0.0; charset=utf-8:
                      schema: {type: string}

          /healthz:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            get:
              operationId: healthz
              tags: [probes]
              summary: Liveness.
              responses:
                '200':
                  description: The process serves.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status]
                        additionalProperties: false
                        properties:
                          status: {type: string, const: ok}

          /readyz:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            get:
              operationId: readyz
              tags: [probes]
              summary: Readiness.
              description: Ready once the history store is open and the configuration applied, and while the history store is not degraded.
              responses:
                '200':
                  description: Ready.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status]
                        additionalProperties: false
                        properties:
                          status: {type: string, const: ready}
                '503':
                  description: 'Not ready; the message says why (`starting`, `history store degraded: …`).'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {const: not_ready}

          /v1/targets:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            get:
              operationId: listTargets
              tags: [targets]
              summary: Every target of the pool, sorted by name.
              description: |
                When the pool is sharded over replicas with `peers` configured, every replica is asked and the
                lists are merged by name; `partial` says whether a replica was missing (`missing_replicas` says
                which and why). Not sharded, or with `replicas=local`, only this replica's targets (and no
                `partial`).
              parameters:
                - $ref: '#/components/parameters/Replicas'
              responses:
                '200':
                  description: The targets.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [targets]
                        additionalProperties: false
                        properties:
                          targets:
                            type: array
                            items: {$ref: '#/components/schemas/TargetStatus'}
                          partial: {$ref: '#/components/schemas/Partial'}
                          missing_replicas: {$ref: '#/components/schemas/MissingReplicas'}
                '400': {$ref: '#/components/responses/BadReplicas'}

          /v1/targets/{name}:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: DELETE, GET, HEAD, PUT`.'
            parameters:
              - $ref: '#/components/parameters/TargetName'
              - $ref: '#/components/parameters/Replicas'
            get:
              operationId: getTarget
              tags: [targets]
              summary: One target's status.
              responses:
                '200':
                  description: The target.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/TargetStatus'}
                '400': {$ref: '#/components/responses/BadName'}
                '404': {$ref: '#/components/responses/NotFound'}
                '421': {$ref: '#/components/responses/Misdirected'}
                '503': {$ref: '#/components/responses/ReplicaUnavailable'}
            put:
              operationId: putTarget
              tags: [targets]
              summary: Add or change an admin-managed target.
              description: |
                Creates the target (201) or applies the changed spec (200; an identical spec is a no-op that also
                answers 200). Targets defined in the config file cannot be changed here (409). Answers the
                target's status after the change.
              security:
                - adminToken: []
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/TargetSpec'}
                    examples:
                      minimal:
                        value: {target: 'ipv4:127.0.0.1:1'}
                      full:
                        value:
                          target: 'dns:///payments.internal:50051'
                          service_config:
                            loadBalancingConfig: [{round_robin: {}}]
                            healthCheckConfig: {serviceName: payments.v1.Payments}
                          labels: {team: billing}
                          idle: lazy
                          keepalive: {time: 30s, timeout: 20s}
                          backoff: {base_delay: 1s, multiplier: 1.6, jitter: 0.2, max_delay: 120s, min_connect_timeout: 20s}
              responses:
                '200':
                  description: Changed (or unchanged).
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/TargetStatus'}
                '201':
                  description: Created.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/TargetStatus'}
                '400':
                  description: |
                    `invalid_name` (the path's name), `invalid_path`, `invalid_json` (empty body or not JSON), or
                    `invalid_target_spec` (the body is JSON but not a valid spec; the message lists every problem
                    with its path, such as `body.backoff.multiplier: expected a number, got "fast"`).
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {enum: [invalid_name, invalid_path, invalid_json, invalid_target_spec, invalid_parameter]}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404':
                  description: The name belongs to another replica (the message names the owner).
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/NotFoundError'}
                '409': {$ref: '#/components/responses/DefinedByConfig'}
                '413': {$ref: '#/components/responses/BodyTooLarge'}
                '415': {$ref: '#/components/responses/UnsupportedMediaType'}
                '429': {$ref: '#/components/responses/TooManyAttempts'}
                '421': {$ref: '#/components/responses/Misdirected'}
                '503':
                  description: |
                    `storage_unavailable` (the target store failed), `not_ready` (shutting down), or
                    `replica_unavailable` (the replica that owns the target did not answer; the message names it).
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {enum: [storage_unavailable, not_ready, replica_unavailable]}
            delete:
              operationId: deleteTarget
              tags: [targets]
              summary: Remove an admin-managed target.
              description: Closes its channel and records `SHUTDOWN` for the channel and every subchannel.
              security:
                - adminToken: []
              responses:
                '204':
                  description: Removed.
                '400': {$ref: '#/components/responses/BadName'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/DefinedByConfig'}
                '429': {$ref: '#/components/responses/TooManyAttempts'}
                '421': {$ref: '#/components/responses/Misdirected'}
                '503':
                  description: |
                    `storage_unavailable` (the target store failed), `not_ready` (shutting down), or
                    `replica_unavailable` (the replica that owns the target did not answer; the message names it).
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {enum: [storage_unavailable, not_ready, replica_unavailable]}

          /v1/targets/{name}/pick:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: POST`.'
            parameters:
              - $ref: '#/components/parameters/TargetName'
              - $ref: '#/components/parameters/Replicas'
            post:
              operationId: pick
              tags: [targets]
              summary: Ask the channel's picker for a subchannel.
              description: |
                Without `wait_for_ready` a channel with no READY subchannel answers 503 at once (or when the pick
                fails); with it the request waits up to `timeout_ms` for one. `{}` (or an empty body) means the
                defaults; the request must say `Content-Type: application/json` either way (415 otherwise), so
                a browser cannot send it cross-site without a CORS preflight.
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/PickRequest'}
                    examples:
                      defaults:
                        value: {}
                      wait:
                        value: {wait_for_ready: true, timeout_ms: 100}
              responses:
                '200':
                  description: The picked subchannel.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [subchannel, address]
                        additionalProperties: false
                        properties:
                          subchannel: {$ref: '#/components/schemas/SubchannelID'}
                          address:
                            type: string
                            description: The connected address, `host:port` or a unix socket path.
                '400':
                  description: '`invalid_name`, `invalid_path`, `invalid_json` (not a JSON object) or `invalid_body` (a field of the wrong type or range, or an unknown field).'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {enum: [invalid_name, invalid_path, invalid_json, invalid_body, invalid_parameter]}
                '404': {$ref: '#/components/responses/NotFound'}
                '413': {$ref: '#/components/responses/BodyTooLarge'}
                '415': {$ref: '#/components/responses/UnsupportedMediaType'}
                '503':
                  description: '`no_ready_subchannel`: no subchannel could be picked (the message gives the gRPC status, such as `UNAVAILABLE: connection refused` or `DEADLINE_EXCEEDED`); `overloaded`: too many picks are already waiting (each holds an HTTP thread), try again; `replica_unavailable`: the replica that owns the target did not answer (the message names it).'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {enum: [no_ready_subchannel, overloaded, replica_unavailable]}
                '421': {$ref: '#/components/responses/Misdirected'}

          /v1/targets/{name}/availability:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            parameters:
              - $ref: '#/components/parameters/TargetName'
              - $ref: '#/components/parameters/Replicas'
            get:
              operationId: availability
              tags: [history]
              summary: Time the channel spent READY over a recent window, from the history.
              parameters:
                - name: window
                  in: query
                  required: false
                  description: |
                    How far back from now: a whole number and a unit (`ms`, `s`, `m`, `h`, `d`), more than zero and
                    at most 366 days. Given more than once, the last one counts. No other parameter but `replicas` is
                    accepted (400).
                  schema:
                    type: string
                    default: 1h
                    pattern: '^0*(?:(?:[1-9][0-9]{0,9}|[12][0-9]{10}|30[0-9]{9}|31[0-5][0-9]{8}|316[01][0-9]{7}|3162[01][0-9]{6}|31622[0-3][0-9]{5}|31622400000)ms|(?:[1-9][0-9]{0,6}|[12][0-9]{7}|30[0-9]{6}|31[0-5][0-9]{5}|316[01][0-9]{4}|3162[01][0-9]{3}|31622[0-3][0-9]{2}|31622400)s|(?:[1-9][0-9]{0,4}|[1-4][0-9]{5}|5[01][0-9]{4}|52[0-6][0-9]{3}|5270[0-3][0-9]|527040)m|(?:[1-9][0-9]{0,2}|[1-7][0-9]{3}|8[0-6][0-9]{2}|87[0-7][0-9]|878[0-4])h|(?:[1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-6])d)$'
                  examples:
                    hour: {value: 1h}
                    week: {value: 7d}
              responses:
                '200':
                  description: The channel's availability.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [window_seconds, ready_seconds, ready_fraction, transitions]
                        additionalProperties: false
                        properties:
                          window_seconds: {type: number, exclusiveMinimum: 0, maximum: 31622400}
                          ready_seconds: {type: number, minimum: 0, maximum: 31622400}
                          ready_fraction: {type: number, minimum: 0, maximum: 1}
                          transitions:
                            type: integer
                            minimum: 0
                            description: Channel state transitions inside the window.
                '400':
                  description: '`invalid_name`, `invalid_path`, or `invalid_parameter` (a bad `window` or any other parameter).'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {enum: [invalid_name, invalid_path, invalid_parameter]}
                '404': {$ref: '#/components/responses/NotFound'}
                '421': {$ref: '#/components/responses/Misdirected'}
                '503':
                  description: '`storage_unavailable` (the history store failed) or `replica_unavailable` (the owner did not answer).'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {enum: [storage_unavailable, replica_unavailable]}

          /v1/history:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            get:
              operationId: history
              tags: [history]
              summary: State transitions of channels and subchannels, in increasing `id` order.
              description: |
                Every parameter is optional and may be given once; an unknown or repeated parameter, a bad value,
                or `until` before `since` answers 400 `invalid_parameter`. Pages: pass `next_cursor` back as
                `cursor` (with the same filters) to get the rows after the page.

                Sharded with `peers` configured, every replica's history is merged in time order (ties, and each
                replica's own order, kept); `id` is then unique per replica only. The cursor then carries every
                replica's position, so paging loses and repeats nothing; it stays opaque. `partial` says whether
                a replica was missing from this page (its rows come on later pages once it answers).
              parameters:
                - $ref: '#/components/parameters/Replicas'
                - name: target
                  in: query
                  description: Only this target's events.
                  schema: {$ref: '#/components/schemas/TargetNameString'}
                - name: scope
                  in: query
                  schema: {$ref: '#/components/schemas/Scope'}
                - name: subchannel
                  in: query
                  description: Only this subchannel's events.
                  schema: {type: integer, format: int64, minimum: 0, maximum: 9223372036854775807}
                - name: to
                  in: query
                  description: Only transitions into this state.
                  schema: {$ref: '#/components/schemas/ConnectivityState'}
                - name: since
                  in: query
                  description: Events at or after this time (inclusive).
                  schema: {$ref: '#/components/schemas/TimeParameter'}
                - name: until
                  in: query
                  description: Events before this time (exclusive); not before `since`.
                  schema: {$ref: '#/components/schemas/TimeParameter'}
                - name: limit
                  in: query
                  description: Most events in one page.
                  schema: {type: integer, minimum: 1, maximum: 10000, default: 1000}
                - name: cursor
                  in: query
                  description: An opaque `next_cursor` from an earlier page; anything else is refused.
                  schema: {type: string, pattern: '^[A-Za-z0-9_-]{1,4096}$'}
              responses:
                '200':
                  description: One page of events.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [events]
                        additionalProperties: false
                        properties:
                          events:
                            type: array
                            maxItems: 10000
                            items: {$ref: '#/components/schemas/Event'}
                          next_cursor:
                            type: string
                            pattern: '^[A-Za-z0-9_-]{1,4096}$'
                            description: |
                              Present when more rows may match; pass it as `cursor`. A query without `target` or
                              `subchannel` looks at a bounded window of ids per page, so such a page can end early
                              (even empty) with a cursor that continues after the window.
                          partial: {$ref: '#/components/schemas/Partial'}
                          missing_replicas: {$ref: '#/components/schemas/MissingReplicas'}
                '400':
                  description: '`invalid_parameter` (the message names the parameter) or `invalid_path`.'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Error'
                        properties:
                          error:
                            properties:
                              code: {enum: [invalid_parameter, invalid_path]}
                '503': {$ref: '#/components/responses/StorageUnavailable'}

          /openapi.yaml:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            get:
              operationId: openapi
              tags: [documents]
              summary: This document.
              responses:
                '200':
                  description: The OpenAPI description of this API.
                  content:
                    application/yaml; charset=utf-8:
                      schema:
                        type: object
                        description: The document, read as YAML.
                        required: [openapi, info, paths, components]
                        properties:
                          openapi: {type: string, const: 3.1.0}

          /:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            get:
              operationId: dashboard
              tags: [documents]
              summary: HTML dashboard of every target, its state and subchannels.
              parameters:
                - {name: page, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 1000000}}
                - {name: per_page, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 500}}
                - {name: filter, in: query, required: false, description: No control characters., schema: {type: string, maxLength: 200, pattern: '^[^\u0000-\u001f\u007f-\u009f]*$'}}
                - {name: sort, in: query, required: false, schema: {type: string, enum: [name, state]}}
                - $ref: '#/components/parameters/Replicas'
                - name: state
                  in: query
                  required: false
                  description: Only targets in this state; empty means every state (what the page's form sends).
                  schema: {type: string, enum: ['', IDLE, CONNECTING, READY, TRANSIENT_FAILURE, SHUTDOWN]}
              responses:
                '200':
                  description: The dashboard page.
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                '400':
                  description: A bad query parameter (an HTML error page).
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
          /ui/targets/{name}:
            description: 'Other methods answer 405 `method_not_allowed` with `Allow: GET, HEAD`.'
            get:
              operationId: targetPage
              tags: [documents]
              summary: HTML page of one target with its subchannels and a state timeline from the history.
              parameters:
                - $ref: '#/components/parameters/TargetName'
                - {name: window, in: query, required: false, schema: {type: string, enum: [1h, 24h, 7d]}}
                - $ref: '#/components/parameters/Replicas'
              responses:
                '200':
                  description: The target page.
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                '400':
                  description: A bad name or window (an HTML error page).
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                '404':
                  description: No such target here (an HTML error page naming the owner replica, if another owns it).
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                '421':
                  description: Another replica forwarded a target this replica does not own (an HTML error page).
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                '503':
                  description: The history store failed, the page's history reads ran past their time limit, every history reader is busy, or the replica that owns the target did not answer (an HTML error page).
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}

        components:
          securitySchemes:
            adminToken:
              type: http
              scheme: bearer
              description: The admin token (`admin_token_file` or `CCPOOL_ADMIN_TOKEN`), compared in constant time.

          parameters:
            TargetName:
              name: name
              in: path
              required: true
              description: The target's name.
              schema: {$ref: '#/components/schemas/TargetNameString'}
              examples:
                name: {value: payments}
            Replicas:
              name: replicas
              in: query
              required: false
              description: |
                `all` (the default): answer for the whole pool when it is sharded with `peers` configured (one
                target: its owner answers; lists: every replica, merged). `local`: this replica's answer alone
                (its own targets and history; another replica's target is a 404 naming the owner).
              schema: {type: string, enum: [all, local], default: all}

          responses:
            BadName:
              description: '`invalid_name` (not 1–128 characters of `[A-Za-z0-9._-]`), `invalid_path`, or `invalid_parameter` (a bad `replicas`).'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {enum: [invalid_name, invalid_path, invalid_parameter]}
            NotFound:
              description: No such target here (or it belongs to another replica; the message names the owner).
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/NotFoundError'}
            Unauthorized:
              description: 'No `Authorization: Bearer` header.'
              headers:
                WWW-Authenticate:
                  required: true
                  schema: {type: string, const: Bearer}
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {const: unauthorized}
            Forbidden:
              description: '`forbidden` (the token is wrong) or `admin_disabled` (the server has no admin token).'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {enum: [forbidden, admin_disabled]}
            DefinedByConfig:
              description: The target is defined in the config file; change it there and reload.
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {const: conflict}
            BodyTooLarge:
              description: |
                The body is larger than the route's limit (1048576 bytes for a target spec, 4096 for a pick), or
                the route takes no body; refused on the headers, before the body is read, and the connection is
                closed.
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {const: body_too_large}
            BadReplicas:
              description: '`invalid_parameter`: a bad `replicas` value.'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {enum: [invalid_parameter, invalid_path]}
            Misdirected:
              description: |
                `misdirected_request`: another replica forwarded a request about a target this replica does not own
                (the replicas disagree on `shard_count` or `peers`). Requests between replicas are never forwarded
                again.
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {const: misdirected_request}
            ReplicaUnavailable:
              description: '`replica_unavailable`: the replica that owns the target did not answer in time (the message names it).'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {const: replica_unavailable}
            StorageUnavailable:
              description: |
                `storage_unavailable`: the history store failed (the details are in the service log only);
                `query_timeout`: the query ran longer than `history.query_timeout` (narrow it);
                `overloaded`: every history reader is busy with other requests, try again (`Retry-After`).
              headers:
                Retry-After:
                  required: false
                  schema: {type: string}
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {enum: [storage_unavailable, query_timeout, overloaded]}
            UnsupportedMediaType:
              description: 'The request did not say `Content-Type: application/json` (required even without a body).'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {const: unsupported_media_type}
            TooManyAttempts:
              description: Too many wrong admin tokens from this client address lately; try again after `Retry-After` seconds.
              headers:
                Retry-After:
                  required: true
                  schema: {type: string}
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Error'
                    properties:
                      error:
                        properties:
                          code: {const: too_many_attempts}

          schemas:
            Partial:
              type: boolean
              description: Sharded answers only; true when a replica did not answer in time, so its part is missing.
            MissingReplicas:
              type: array
              description: The replicas missing from a partial answer, and why.
              items:
                type: object
                required: [replica, url, reason]
                additionalProperties: false
                properties:
                  replica: {type: integer, minimum: 0}
                  url: {type: string}
                  reason: {type: string, description: 'A short sentence: `connection refused`, `no answer within 2s`, ...'}
            Error:
              type: object
              required: [error]
              additionalProperties: false
              properties:
                error:
                  type: object
                  required: [code, message]
                  additionalProperties: false
                  properties:
                    code:
                      type: string
                      pattern: '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'
                      description: A stable snake_case word for scripts.
                    message:
                      type: string
                      description: A sentence for people; may change.

            NotFoundError:
              $ref: '#/components/schemas/Error'
              properties:
                error:
                  properties:
                    code: {const: not_found}

            TargetNameString:
              type: string
              description: 1–128 characters of [A-Za-z0-9._-], but not `.` or `..` (dot segments in URLs).
              pattern: '^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$'

            ConnectivityState:
              type: string
              enum: [IDLE, CONNECTING, READY, TRANSIENT_FAILURE, SHUTDOWN]

            Scope:
              type: string
              enum: [channel, subchannel]

            SubchannelID:
              type: integer
              format: int64
              minimum: 1
              description: Unique for the process's life.

            Timestamp:
              type: string
              format: date-time
              pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z$'
              description: RFC 3339 in UTC with sub-second digits.

            TimeParameter:
              description: |
                RFC 3339 (`2024-05-01T12:00:00Z`; `T`, `t` or a space between date and time; up to 9 fraction
                digits, kept to the microsecond; `Z` or an offset `±hh:mm`), or Unix seconds with an optional fraction
                of up to 9 digits (`1714564800`, `1714564800.25`, up to 253402300799).
              anyOf:
                - type: string
                  format: date-time
                - type: string
                  pattern: '^-?0{0,6}(?:[0-9]|[1-9][0-9]{1,10}|1[0-9]{11}|2[0-4][0-9]{10}|25[0-2][0-9]{9}|253[0-3][0-9]{8}|25340[01][0-9]{6}|253402[0-2][0-9]{5}|253402300[0-7][0-9]{2})(?:\.[0-9]{1,9})?$'
              examples: ['2024-05-01T12:00:00Z', '1714564800']

            Duration:
              type: string
              pattern: '^[ \t]*(?:[0-9]*[1-9][0-9]*(?:\.[0-9]{1,18})?|[0-9]+\.[0-9]{0,17}[1-9][0-9]*)[ \t]*(?:ms|s|m|h)[ \t]*$'
              description: |
                A number (optionally with a fraction) and a unit, `ms`, `s`, `m` or `h`: `250ms`, `1.5s`, `30s`,
                `2m`. More than zero, a whole number of nanoseconds, at most about 292 years. A bare number is
                refused (which unit?).
              examples: [30s]

            TargetSpec:
              type: object
              description: |
                A target's URI and channel settings; only `target` is required. A field given as `null` is the same
                as a field left out. Unknown fields (including `name`, which comes from the URL) are refused.
                Rules across fields: with `tls.enabled: false` no other `tls` field may be set; `tls.cert_file` and
                `tls.key_file` go together; `backoff.max_delay` must not be below `backoff.base_delay`; TLS files must
                be readable by the server.
              required: [target]
              additionalProperties: false
              properties:
                target:
                  type: string
                  minLength: 1
                  pattern: '^[^\u0000-\u0020\u007f-\u009f]+$'
                  description: |
                    A gRPC target URI: `dns:///host:port`, `ipv4:a.b.c.d:port,…`, `ipv6:[addr]:port,…`,
                    `unix:///absolute/path` (or `unix:path`), `passthrough:///host:port`, or a bare `host:port`
                    (which means `dns:///host:port`; the port defaults to 443 for `dns` and `passthrough`).
                    No spaces or control characters.
                  examples: ['dns:///payments.internal:50051', 'ipv4:127.0.0.1:50051,127.0.0.1:50052']
                service_config:
                  description: |
                    A gRPC service config, as a JSON object or as a string holding one. ccpool reads
                    `loadBalancingConfig` (the first entry with a supported policy, `pick_first` or `round_robin`, wins),
                    `loadBalancingPolicy` and `healthCheckConfig.serviceName`; other members are kept and ignored.
                  oneOf:
                    - $ref: '#/components/schemas/ServiceConfig'
                    - type: string
                      contentMediaType: application/json
                      description: The service config as JSON text.
                    - type: 'null'
                tls:
                  oneOf:
                    - $ref: '#/components/schemas/TLSSettings'
                    - type: 'null'
                labels:
                  oneOf:
                    - $ref: '#/components/schemas/Labels'
                    - type: 'null'
                idle:
                  description: '`connected` keeps a connection open; `lazy` connects on the first pick.'
                  enum: [connected, lazy, null]
                  default: connected
                keepalive:
                  oneOf:
                    - $ref: '#/components/schemas/Keepalive'
                    - type: 'null'
                backoff:
                  oneOf:
                    - $ref: '#/components/schemas/Backoff'
                    - type: 'null'

            ServiceConfig:
              type: object
              properties:
                loadBalancingConfig:
                  type: array
                  items:
                    type: object
                    minProperties: 1
                    maxProperties: 1
                    additionalProperties: {type: object}
                    description: |
                      One policy name and its configuration, such as `{"round_robin": {}}`. The first entry naming a
                      supported policy is used: `pick_first` (configuration `{"shuffleAddressList": true|false}`) or
                      `round_robin` (`{}`); a list naming none of them is refused.
                loadBalancingPolicy:
                  type: string
                  description: 'The older form: `pick_first` or `round_robin` (any case); used when `loadBalancingConfig` selects no policy.'
                healthCheckConfig:
                  type: object
                  properties:
                    serviceName:
                      type: string
                      description: The service to check with grpc.health.v1; empty means the whole server.

            TLSSettings:
              type: object
              description: |
                Given (even empty) means TLS; `enabled` defaults to true. With `enabled: false` no other field may be
                set; `cert_file` and `key_file` go together. The files must be readable PEM (checked when the spec is
                applied; 400 `invalid_target_spec` otherwise).
              additionalProperties: false
              allOf:
                - if: {required: [cert_file], properties: {cert_file: {type: string}}}
                  then: {required: [key_file], properties: {key_file: {type: string}}}
                - if: {required: [key_file], properties: {key_file: {type: string}}}
                  then: {required: [cert_file], properties: {cert_file: {type: string}}}
                - if: {required: [enabled], properties: {enabled: {const: false}}}
                  then:
                    properties:
                      ca_file: {type: 'null'}
                      cert_file: {type: 'null'}
                      key_file: {type: 'null'}
                      server_name: {type: 'null'}
              properties:
                enabled: {type: [boolean, 'null'], default: true}
                ca_file: {type: [string, 'null'], minLength: 1, description: PEM roots; the system's when absent.}
                cert_file: {type: [string, 'null'], minLength: 1, description: Client certificate (PEM); needs key_file.}
                key_file: {type: [string, 'null'], minLength: 1, description: Client key (PEM); needs cert_file.}
                server_name: {type: [string, 'null'], minLength: 1, description: SNI and the name the certificate must match.}

            Labels:
              type: object
              maxProperties: 64
              propertyNames:
                pattern: '^[A-Za-z_][A-Za-z0-9._-]{0,62}$'
              additionalProperties:
                type: string
                maxLength: 256
                pattern: '^[^\u0000-\u001f\u007f-\u009f]*$'
              description: Free-form metadata; keys start with a letter or `_`; values have no control characters.

            Keepalive:
              type: object
              required: [time]
              additionalProperties: false
              properties:
                time:
                  $ref: '#/components/schemas/Duration'
                  description: The HTTP/2 PING interval.
                timeout:
                  description: How long to wait for the PING's answer (default 20s).
                  oneOf:
                    - $ref: '#/components/schemas/Duration'
                    - type: 'null'

            Backoff:
              type: object
              description: gRPC connection backoff; every field defaults to gRPC's value.
              additionalProperties: false
              properties:
                base_delay:
                  oneOf: [{$ref: '#/components/schemas/Duration'}, {type: 'null'}]
                  default: 1s
                multiplier: {type: [number, 'null'], minimum: 1, default: 1.6}
                jitter: {type: [number, 'null'], minimum: 0, maximum: 1, default: 0.2}
                max_delay:
                  oneOf: [{$ref: '#/components/schemas/Duration'}, {type: 'null'}]
                  default: 120s
                min_connect_timeout:
                  oneOf: [{$ref: '#/components/schemas/Duration'}, {type: 'null'}]
                  default: 20s

            PickRequest:
              type: object
              additionalProperties: false
              properties:
                wait_for_ready:
                  type: boolean
                  default: false
                  description: Wait for a READY subchannel instead of failing at once.
                timeout_ms:
                  type: integer
                  minimum: 1
                  maximum: 60000
                  default: 1000
                  description: The longest the pick may take, in milliseconds.

            TargetStatus:
              type: object
              required: [name, target, state, state_since, lb_policy, labels, subchannels]
              additionalProperties: false
              properties:
                name: {$ref: '#/components/schemas/TargetNameString'}
                target: {type: string, minLength: 1, description: The target URI as configured.}
                state: {$ref: '#/components/schemas/ConnectivityState'}
                state_since: {$ref: '#/components/schemas/Timestamp'}
                lb_policy: {type: string, description: 'The balancer in use: `pick_first` or `round_robin`.'}
                labels: {$ref: '#/components/schemas/Labels'}
                subchannels:
                  type: array
                  items: {$ref: '#/components/schemas/Subchannel'}

            Subchannel:
              type: object
              required: [id, addresses, connected_address, state, state_since, health]
              additionalProperties: false
              properties:
                id: {$ref: '#/components/schemas/SubchannelID'}
                addresses:
                  type: array
                  items: {type: string, description: '`host:port` or a unix socket path.'}
                connected_address: {type: [string, 'null'], description: The address of the open connection, if any.}
                state: {$ref: '#/components/schemas/ConnectivityState'}
                state_since: {$ref: '#/components/schemas/Timestamp'}
                health:
                  type: string
                  enum: [SERVING, NOT_SERVING, UNKNOWN, DISABLED]
                  description: '`DISABLED` without a health check config; a server''s SERVICE_UNKNOWN is shown as NOT_SERVING.'

            Event:
              type: object
              description: One row of history.
              required: [id, time, target, scope, subchannel, address, from, to, reason]
              additionalProperties: false
              properties:
                id: {type: integer, format: int64, minimum: 1, description: Increases in commit order.}
                time:
                  type: string
                  format: date-time
                  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'
                  description: RFC 3339 in UTC with microseconds.
                target: {$ref: '#/components/schemas/TargetNameString'}
                scope: {$ref: '#/components/schemas/Scope'}
                subchannel:
                  description: The subchannel's id; null for channel events.
                  oneOf: [{$ref: '#/components/schemas/SubchannelID'}, {type: 'null'}]
                address: {type: [string, 'null'], description: The subchannel's address when known.}
                from: {$ref: '#/components/schemas/ConnectivityState'}
                to: {$ref: '#/components/schemas/ConnectivityState'}
                reason: {type: string, description: 'A short human text: "connection refused", "GOAWAY", "resolver update", …'}
        """#
}
