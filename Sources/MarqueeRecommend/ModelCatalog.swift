/// The models `marquee evaluate` knows by name, and the one the product serves.
public enum ModelCatalog {
    /// Every model by name, in the order evaluation tables list them.
    public static func all() -> [any Recommender] {
        [
            MostPopular(), Trending(), ContentModel(), ItemKNN(), ImplicitALS(), SequenceHybrid.ease(), SequenceHybrid.recentEASE(),
            SequenceHybrid.slit(), SelfTunedSequenceHybrid(), SelfTunedRatingBlend(),
        ]
    }

    /// The model the product serves.
    public static var servedName: String { "sequence-hybrid" }

    public static func named(_ name: String) -> (any Recommender)? {
        all().first { $0.name == name }
    }
}
