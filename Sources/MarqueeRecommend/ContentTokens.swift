/// Turning catalog metadata into the tokens content-based models read.
public enum ContentTokens {
    static let stopWords: Set<String> = [
        "a", "an", "and", "the", "of", "in", "on", "to", "for", "with", "at", "by", "from", "is", "it", "its", "as", "his", "her",
        "their", "who", "that", "this", "be", "are", "was", "into", "when", "after", "one", "two",
    ]

    /// Lower-case words of at least 3 letters, without stop words.
    public static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { $0.count >= 3 && !stopWords.contains($0) }
    }

    static func slug(_ s: String) -> String {
        s.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: "-")
    }

    /// Tokens of a title: genres, tags, cast, release decade and synopsis/name words, each kind prefixed.
    public static func tokens(genres: [String], tags: [String] = [], cast: [String] = [], year: Int? = nil, text: String = "") -> [String] {
        var out: [String] = []
        out += genres.map { "genre:" + slug($0) }
        out += tags.map { "tag:" + slug($0) }
        out += cast.map { "cast:" + slug($0) }
        if let year { out.append("decade:\(year / 10 * 10)") }
        out += words(text).map { "word:" + $0 }
        return out
    }
}
