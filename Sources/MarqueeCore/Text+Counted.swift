/// Small helpers for the text people read: messages, reasons, summaries.
public enum Text {
    /// "1 flight ended", "3 flights ended": `count` with the singular or plural phrase.
    public static func counted(_ count: Int, _ singular: String, _ plural: String) -> String {
        "\(count) " + (count == 1 ? singular : plural)
    }
}
