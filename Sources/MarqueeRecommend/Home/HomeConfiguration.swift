import MarqueeCore

/// How home pages are built: every tunable of `HomePageBuilder`, each with its default.
///
/// A builder reads one configuration; `HomeService` makes a builder per request from its own, and a
/// caller that makes builders (tests, the demo's simulated pages) may give each request a different one.
/// The defaults are the values the builder had as literals before they were named, so a default
/// configuration builds the same pages.
public struct HomeConfiguration: Sendable, Codable, Hashable {
    // MARK: Page size

    /// Rows on a page when the request does not say how many. Default 10.
    public var defaultRows = 10
    /// The most rows a request may ask for. Default 20.
    public var maxRows = 20
    /// Items per row when the request does not say how many. Default 12.
    public var defaultPerRow = 12
    /// The most items per row a request may ask for. Default 40.
    public var maxPerRow = 40

    // MARK: Row candidates

    /// Each row keeps this many ranked candidates per item it shows (earlier rows take titles away,
    /// one title per page), and at least `minimumCandidates`. Default 4.
    public var candidatesPerItem = 4
    /// The fewest ranked candidates a row keeps. Default 40.
    public var minimumCandidates = 40
    /// The fewest items a row needs to be shown (or `perRow` when smaller); Continue Watching, editorial
    /// collections and rows with a pin need one. A row source with fewer candidates adds no row. Default 3.
    public var minimumRowItems = 3

    // MARK: Scores

    /// Shrinkage of context-conditional popularity toward overall popularity (pseudo-plays), for the
    /// context lift of every score and the Popular Now row. Default 50.
    public var contextPseudoCount = 50.0
    /// The most recent history entries folded into the scores (item-to-item rows of history the
    /// snapshot has not trained on). Default 50.
    public var foldInHistory = 50
    /// The fold-in weight of a history entry is its liking times this factor per entry more recent than it. Default 0.85.
    public var foldInRecencyDecay = 0.85
    /// With a model: the most recent history entries whose content neighbours score the titles outside the model. Default 10.
    public var contentHistoryWithModel = 10
    /// Without a model: the most recent history entries whose content neighbours score every title. Default 20.
    public var contentHistoryWithoutModel = 20
    /// Cold start (no history): a title scores log(1 + overall) + log(1 + regional) + this weight ×
    /// log(1 + on the viewer's plan) + `coldStartTrainedPopularityWeight` × log(1 + training interactions). Default 0.5.
    public var coldStartPlanWeight = 0.5
    /// Cold start: the weight of the snapshot's training popularity, a tie-break. Default 0.01.
    public var coldStartTrainedPopularityWeight = 0.01

    // MARK: What the viewer is shown

    /// Completed titles of a kind may be recommended again when at least this share of completions is rewatched. Default 0.25.
    public var rewatchThreshold = 0.25
    /// A disliked title's nearest neighbours, this many, are not recommended either. Default 10.
    public var dislikedNeighbours = 10
    /// The viewer's genre mix weighs each liked title by its liking times this factor per liked title
    /// more recent than it. Default 0.97.
    public var genreMixRecencyDecay = 0.97

    // MARK: Top Picks

    /// Steck's calibration trade-off for Top Picks (0 = pure relevance, no re-ranking). Default 0.3.
    public var calibrationLambda: Double = 0.3
    /// Top Picks takes its candidates from a pool of the best-scored titles: `topPicksPoolPerCandidate`
    /// × the row's candidates, and at least this many. Default 100.
    public var topPicksPoolMinimum = 100
    /// The Top Picks pool per row candidate. Default 2.
    public var topPicksPoolPerCandidate = 2
    /// The calibrated head of Top Picks: this many titles per item shown (earlier rows take titles
    /// away), at least `calibratedHeadMinimum`; the rest of the pool follows in score order. Default 2.
    public var calibratedHeadPerItem = 2
    /// The fewest titles the calibration re-ranks. Default 12.
    public var calibratedHeadMinimum = 12
    /// Top Picks explanations name at most this many of the viewer's genres the title shares. Default 2.
    public var explanationGenres = 2

    // MARK: Because You Watched

    /// "Because you watched" rows (seeds). Default 3.
    public var becauseYouWatchedRows = 3
    /// Seeds are chosen among this many most recent liked titles. Default 12.
    public var seedWindow = 12
    /// A seed candidate ranks by its liking times this factor per liked title more recent than it. Default 0.9.
    public var seedRecencyDecay = 0.9
    /// A title with fewer of the model's item-to-item neighbours than this (or than asked for, when
    /// fewer are asked) takes its content neighbours instead. Default 3.
    public var minimumCollaborativeNeighbours = 3

    // MARK: New, genre rows

    /// Titles added this recently are "new"; with fewer than a row of them, the newest titles are. Default 60.
    public var newWindowDays = 60
    /// With fewer titles inside the new window than this share of the row's candidates, the row shows
    /// the catalog's newest titles instead. Default 0.5.
    public var newFallbackShare = 0.5
    /// Genre rows, by the viewer's affinity. Default 3.
    public var genreRows = 3

    // MARK: Row order

    /// Strength (pseudo-impressions) of the row-kind engagement prior, and of the context level. Default 200.
    public var rowPriorImpressions = 200.0
    /// Strength (pseudo-impressions) of the context level in the viewer's own row engagement. Default 20.
    public var profileRowPseudoImpressions = 20.0
    /// The second row of a kind has its engagement multiplied by this, the third by its square, and so on. Default 0.85.
    public var repeatedRowDecay = 0.85
    /// The row-kind click-through priors used before any impressions are logged.
    public var rowPriors = RowPriors()

    // MARK: Recommender

    /// What ranks the personalized rows (Top Picks, genre rows, New): the served hybrid (the snapshot's
    /// model, fold-in of fresh history, content neighbours), or `popularity`: every viewer ranked as a cold
    /// start is (popularity overall, in their region and on their plan), a baseline for experiments.
    /// Default `hybrid`.
    public var recommender: HomeRecommender = .hybrid

    // MARK: Exploration

    /// The probability that an explorable row (Top Picks, New, genre rows) shows one exploration pick. Default 0.1.
    public var explorationShare: Double = 0.1
    /// The 0-based position an exploration pick takes (the last item of a shorter row). Default 2.
    public var explorationSlot = 2

    // MARK: Words

    /// How Trending rows name the viewer's region ("Trending Now in the West"); a region not listed is
    /// named by its code. Default: the demo world's and MovieLens's US regions, and `intl` as "your region".
    public var regionNames: [String: String] = [
        "us-northeast": "the Northeast", "us-southeast": "the Southeast", "us-midwest": "the Midwest", "us-south": "the South",
        "us-west": "the West", "intl": "your region",
    ]

    /// Mixed into every request's seed. Default 0.
    public var seed: UInt64 = 0

    public init() {}
}

/// What ranks a home page's personalized rows.
public enum HomeRecommender: String, Sendable, Codable, Hashable, CaseIterable {
    case hybrid, popularity
}

/// The click-through each row kind is assumed to have before any impressions are logged (the top
/// level of the row-order estimate).
public struct RowPriors: Sendable, Codable, Hashable {
    /// Default 0.30.
    public var continueWatching = 0.30
    /// Default 0.12.
    public var topPicks = 0.12
    /// Default 0.10.
    public var becauseYouWatched = 0.10
    /// Default 0.08.
    public var popularNow = 0.08
    /// Default 0.08.
    public var trending = 0.08
    /// Default 0.07.
    public var editorial = 0.07
    /// Default 0.06.
    public var new = 0.06
    /// Default 0.05.
    public var genre = 0.05

    public init() {}

    public subscript(kind: RowKind) -> Double {
        get {
            switch kind {
            case .continueWatching: return continueWatching
            case .topPicks: return topPicks
            case .becauseYouWatched: return becauseYouWatched
            case .popularNow: return popularNow
            case .trending: return trending
            case .editorial: return editorial
            case .new: return new
            case .genre: return genre
            }
        }
        set {
            switch kind {
            case .continueWatching: continueWatching = newValue
            case .topPicks: topPicks = newValue
            case .becauseYouWatched: becauseYouWatched = newValue
            case .popularNow: popularNow = newValue
            case .trending: trending = newValue
            case .editorial: editorial = newValue
            case .new: new = newValue
            case .genre: genre = newValue
            }
        }
    }
}
