import MarqueeCore

/// The seeded "Micro-Netflix" demo world: a catalog with posters, an audience with hidden
/// tastes, an ad book, and weeks of viewing history in which collaborative filtering has real
/// structure to find.
///
/// The world is a pure function of its configuration: every random draw comes from a
/// `SeededGenerator` stream derived from `seed` and a label ("titles", "artwork", "profiles",
/// "ads", "viewing/<profile>"), and no clock is read. Parts are independent, so changing the
/// number of profiles does not change the catalog.
public enum DemoWorld {
    /// Builds the dataset. Counts outside the ranges of `DemoWorldConfiguration.validate()` are
    /// clamped into them. `progress` receives short human-readable status lines as parts finish.
    public static func generate(_ config: DemoWorldConfiguration, progress: ((String) -> Void)? = nil) -> Dataset {
        let config = config.clamped
        var dataset = Dataset()

        let catalog = DemoCatalog.make(config)
        dataset.titles = catalog.titles
        progress?("catalog: " + String(catalog.titles.count) + " titles")

        dataset.artwork = DemoArtwork.make(catalog, config: config)
        progress?("artwork: " + String(dataset.artwork.count) + " posters")

        let viewers = DemoAudience.make(config)
        dataset.profiles = viewers.map(\.profile)
        progress?("audience: " + String(viewers.count) + " profiles")

        let ads = DemoAdBook.make(config)
        dataset.advertisers = ads.advertisers
        dataset.campaigns = ads.campaigns
        dataset.creatives = ads.creatives
        progress?(
            "ads: " + String(ads.advertisers.count) + " advertisers, " + String(ads.campaigns.count) + " campaigns, "
                + String(ads.creatives.count) + " creatives")

        dataset.events = DemoViewing.make(config, catalog: catalog, viewers: viewers, ads: ads, progress: progress)
        progress?("events: " + String(dataset.events.count))
        return dataset
    }
}
