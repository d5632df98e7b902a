import Yams

extension ConfigNode {
    /// Converts a composed Yams node, keeping every scalar's and key's position.
    ///
    /// Scalars are typed by their resolved YAML 1.1 tag (plain `8` is an integer, `"8"` a string,
    /// `yes` a boolean); tags ccpool has no use for (timestamps, binary, custom) become strings.
    /// Aliases were already replaced by their anchors' nodes when Yams composed the document.
    init(yaml node: Node) {
        let location = node.mark.map { Location(line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            let value: Value
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: value = .null
            case .bool: value = node.bool.map(Value.bool) ?? .string(text)
            case .int:
                if let number = node.int {
                    value = .integer(number)
                } else if let number = node.float {
                    // Too large for Int: still a number, so "expected a whole number" reads right.
                    value = .float(number)
                } else {
                    value = .string(text)
                }
            case .float: value = node.float.map(Value.float) ?? .string(text)
            default: value = .string(text)
            }
            self.init(value, text: text, location: location)
        case .sequence(let sequence):
            self.init(.sequence(sequence.map(ConfigNode.init(yaml:))), location: location)
        case .mapping(let mapping):
            let pairs = mapping.map { pair in
                (
                    key: pair.key.scalar?.string ?? "\(pair.key)",
                    keyLocation: pair.key.mark.map { Location(line: $0.line, column: $0.column) },
                    value: ConfigNode(yaml: pair.value)
                )
            }
            self.init(.mapping(pairs), location: location)
        case .alias(let alias):
            // Yams resolves aliases while composing; an alias node is not expected here.
            self.init(.string(alias.anchor.rawValue), text: alias.anchor.rawValue, location: location)
        }
    }
}
