/// Where in a title an ad break sits: before the content starts, or at a cue point inside it.
public enum BreakKind: String, Codable, Sendable, CaseIterable {
    case preRoll = "pre-roll"
    case midRoll = "mid-roll"
}
