/// A whole dataset written at once: the demo world or an imported one.
public struct Dataset: Sendable {
    public var titles: [Title] = []
    public var artwork: [ArtworkImage] = []
    public var profiles: [Profile] = []
    public var advertisers: [Advertiser] = []
    public var campaigns: [Campaign] = []
    public var creatives: [Creative] = []
    /// Events, oldest first.
    public var events: [Event] = []

    public init() {}
}
