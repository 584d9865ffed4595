import MarqueeCore

/// Everything the demo catalog knows about one genre: how common it is, which genres it mixes
/// with, how mature it tends to be, the words its titles and synopses are made of, and the hue
/// its posters are painted in.
struct GenreSpec: Sendable {
    var name: String
    /// Relative frequency as a title's primary genre, and the base of viewers' Dirichlet tastes.
    var weight: Double
    /// Genres (by index in `DemoVocabulary.genres`) that may appear next to this one.
    var companions: [Int]
    /// Weights over `MaturityRating.allCases` (ALL, 7+, 13+, 16+, 18+).
    var maturity: [Double]
    /// Probability that a title of this primary genre is a series.
    var seriesChance: Double
    /// Episode runtime range in minutes when the title is a series.
    var episodeMinutes: ClosedRange<Int>
    /// Poster hue in degrees, and whether posters lean dark.
    var hue: Double
    var leansDark: Bool
    /// What a synopsis calls a movie of this genre ("thriller", "animated adventure").
    var label: String
    var adjectives: [String]
    var nouns: [String]
    var gerunds: [String]
    var roles: [String]
    var plots: [String]
    var incidents: [String]
    var goals: [String]
    /// Settings with `@` standing for a made-up place name.
    var settings: [String]
    /// Mood words used as title tags.
    var moods: [String]
}

/// The word lists the demo world is composed from. Everything here is invented.
enum DemoVocabulary {
    static let action = 0, comedy = 1, drama = 2, romance = 3, sciFi = 4, thriller = 5, horror = 6, documentary = 7
    static let animation = 8, family = 9, crime = 10, fantasy = 11, mystery = 12, adventure = 13

    /// The fourteen genres, in a fixed order that is also the order of taste-vector dimensions.
    static let genres: [GenreSpec] = [
        GenreSpec(
            name: "action", weight: 1.2, companions: [thriller, adventure, sciFi, crime, comedy],
            maturity: [0, 0.05, 0.45, 0.35, 0.15], seriesChance: 0.12, episodeMinutes: 42...60, hue: 14, leansDark: true,
            label: "action film",
            adjectives: ["Last", "Final", "Iron", "Crimson", "Rogue", "Burning", "Silent", "Broken", "Hard", "Steel", "Zero", "Red"],
            nouns: [
                "Protocol", "Strike", "Vendetta", "Extraction", "Convoy", "Target", "Siege", "Breach", "Ransom", "Fury", "Run", "Frontline",
            ],
            gerunds: ["Chasing", "Breaking", "Hunting", "Outrunning", "Defending", "Storming"],
            roles: [
                "a former special-forces medic", "an off-duty bodyguard", "a getaway driver", "a disgraced pilot", "a veteran stunt double",
                "a retired contract killer",
            ],
            plots: [
                "fights out of a hijacked train", "races to stop a stolen warhead from leaving the harbor",
                "takes on a private army to rescue a kidnapped brother", "protects a witness across three states in one night",
            ],
            incidents: ["a routine escort goes wrong", "a cargo ship vanishes off the coast", "the power grid goes dark"],
            goals: ["outrun a city-wide manhunt", "recover the stolen codes before dawn", "bring every hostage home"],
            settings: ["the docks of @", "a locked-down @", "the rooftops of @"],
            moods: ["adrenaline", "explosive", "high-stakes", "gritty", "relentless"]),
        GenreSpec(
            name: "comedy", weight: 1.3, companions: [romance, family, drama, action, animation],
            maturity: [0.1, 0.2, 0.45, 0.2, 0.05], seriesChance: 0.3, episodeMinutes: 22...30, hue: 48, leansDark: false,
            label: "comedy",
            adjectives: [
                "Accidental", "Big", "Awkward", "Perfect", "Lucky", "Wild", "Terrible", "Little", "Happy", "Great", "Totally", "Second",
            ],
            nouns: [
                "Wedding", "Vacation", "Roommate", "Weekend", "Reunion", "Getaway", "Mixup", "Party", "Plan", "Job", "Road Trip",
                "Honeymoon",
            ],
            gerunds: ["Crashing", "Faking", "Planning", "Ditching", "Babysitting", "Winning"],
            roles: [
                "a hapless wedding planner", "an overconfident substitute teacher", "a rival food-truck owner",
                "a struggling stand-up comic", "a bored office temp",
            ],
            plots: [
                "accidentally books two weddings on the same weekend", "fakes a promotion to impress an old classmate",
                "inherits a goat farm and a feud with the neighbors", "gets stuck on a cruise full of ex-partners",
            ],
            incidents: [
                "a family reunion gets double-booked", "a winning lottery ticket goes missing",
                "the office party ends up on the evening news",
            ],
            goals: [
                "save the wedding without anyone noticing", "win back a best friend before the reunion",
                "keep a very small lie from getting very large",
            ],
            settings: ["the suburbs of @", "a budget resort outside @", "a strip mall in @"],
            moods: ["feel-good", "witty", "quirky", "lighthearted", "silly"]),
        GenreSpec(
            name: "drama", weight: 1.5, companions: [romance, crime, thriller, comedy, mystery],
            maturity: [0, 0.05, 0.4, 0.35, 0.2], seriesChance: 0.25, episodeMinutes: 45...60, hue: 212, leansDark: true,
            label: "drama",
            adjectives: [
                "Quiet", "Distant", "Long", "Broken", "Bitter", "Fading", "Open", "Hidden", "Golden", "Empty", "Last", "Unspoken",
            ],
            nouns: [
                "Harbor", "Season", "Inheritance", "Silence", "Letters", "Shore", "Promise", "Field", "Homecoming", "Hours", "River",
                "Years",
            ],
            gerunds: ["Leaving", "Finding", "Remembering", "Holding", "Raising", "Mending"],
            roles: [
                "a widowed fisherman", "a young violinist", "an estranged daughter", "a small-town doctor", "a union organizer",
                "a retired judge",
            ],
            plots: [
                "returns home to care for an ailing parent", "confronts a family secret buried for thirty years",
                "fights to keep the local mill open", "rebuilds a life after a long prison sentence",
            ],
            incidents: [
                "the town's factory closes overnight", "an old letter surfaces in an attic",
                "a storm cuts the island off from the mainland",
            ],
            goals: ["hold a fractured family together", "choose between ambition and home", "make peace with the past"],
            settings: ["the fishing town of @", "a farm outside @", "the mill town of @"],
            moods: ["emotional", "poignant", "thoughtful", "heartfelt", "slow-burn"]),
        GenreSpec(
            name: "romance", weight: 0.8, companions: [comedy, drama, fantasy],
            maturity: [0.05, 0.1, 0.55, 0.2, 0.1], seriesChance: 0.15, episodeMinutes: 40...55, hue: 342, leansDark: false,
            label: "romance",
            adjectives: [
                "Sweet", "Second", "Endless", "Unexpected", "Little", "Secret", "Stolen", "Paper", "Golden", "Perfect", "Starlit", "Summer",
            ],
            nouns: [
                "Kiss", "Letters", "Chance", "Heart", "Promise", "Waltz", "Postcard", "Season", "Affair", "Proposal", "Vows", "Rendezvous",
            ],
            gerunds: ["Waiting for", "Writing", "Chasing", "Keeping", "Saving", "Sharing"],
            roles: ["a bookshop owner", "a travelling photographer", "a jaded architect", "a wedding singer", "an island ferry captain"],
            plots: [
                "falls for the rival bidding on the same cottage", "rekindles a summer romance a decade too late",
                "trades apartments with a stranger for the holidays", "writes anonymous letters to the neighbor across the hall",
            ],
            incidents: [
                "a missed flight strands two strangers", "a wrong number turns into nightly calls", "an old flame returns for a wedding",
            ],
            goals: ["choose between a safe life and a real love", "say the words before the summer ends", "win back a first love"],
            settings: ["the seaside village of @", "a vineyard near @", "the old quarter of @"],
            moods: ["romantic", "heartwarming", "charming", "tender", "swoon-worthy"]),
        GenreSpec(
            name: "sci-fi", weight: 0.8, companions: [action, thriller, adventure, horror, mystery],
            maturity: [0, 0.1, 0.5, 0.3, 0.1], seriesChance: 0.25, episodeMinutes: 42...58, hue: 192, leansDark: true,
            label: "science-fiction film",
            adjectives: [
                "Distant", "Quantum", "Hollow", "Silent", "Final", "Pale", "Artificial", "Outer", "Binary", "Infinite", "Dark", "Orbital",
            ],
            nouns: [
                "Signal", "Horizon", "Colony", "Frontier", "Echo", "Orbit", "Singularity", "Station", "Relay", "Machine", "Drift", "Array",
            ],
            gerunds: ["Escaping", "Decoding", "Crossing", "Leaving", "Rebooting", "Terraforming"],
            roles: ["a rookie astronaut", "a rogue AI engineer", "a deep-space salvager", "a time-loop survivor", "a colony geologist"],
            plots: [
                "decodes a signal from a star that died a million years ago", "wakes from cryosleep to find the ship empty",
                "relives the same day aboard a failing space station", "discovers that the colony's AI has plans of its own",
            ],
            incidents: [
                "a probe returns carrying something alive", "every clock on Earth stops for one minute",
                "the colony loses contact with Earth",
            ],
            goals: [
                "bring the crew home before the oxygen runs out", "stop a machine uprising without firing a shot",
                "prove the signal is real",
            ],
            settings: [
                "a mining colony on Europa", "a generation ship bound for a distant star", "a near-future @", "an orbital station above @",
            ],
            moods: ["mind-bending", "cerebral", "futuristic", "epic", "eerie"]),
        GenreSpec(
            name: "thriller", weight: 1.0, companions: [crime, mystery, action, drama, horror],
            maturity: [0, 0, 0.3, 0.45, 0.25], seriesChance: 0.2, episodeMinutes: 42...58, hue: 228, leansDark: true,
            label: "thriller",
            adjectives: [
                "Silent", "Dead", "Cold", "Blind", "Hidden", "Deadly", "False", "Final", "Black", "Perfect", "Missing", "Twelfth",
            ],
            nouns: [
                "Witness", "Alibi", "Hour", "Conspiracy", "Stranger", "Code", "Trap", "Pursuit", "Window", "Passenger", "Verdict",
                "Protocol",
            ],
            gerunds: ["Following", "Watching", "Hunting", "Trusting", "Framing", "Tracing"],
            roles: [
                "an insomniac air-traffic controller", "a data analyst", "a night-shift nurse", "an investigative journalist",
                "a defense attorney",
            ],
            plots: [
                "uncovers a conspiracy hidden in a routine audit", "is framed for a murder seen on a doorbell camera",
                "receives calls from a stranger who knows everything", "races a ticking clock to find a missing child",
            ],
            incidents: [
                "a passenger disappears mid-flight", "a stranger leaves a key and a warning", "a client confesses something unforgivable",
            ],
            goals: [
                "prove an innocence nobody believes", "expose the truth without becoming the next target", "find the leak before morning",
            ],
            settings: ["the financial district of @", "a gated community outside @", "the rail yards of @"],
            moods: ["suspenseful", "tense", "gripping", "twisty", "paranoid"]),
        GenreSpec(
            name: "horror", weight: 0.7, companions: [thriller, mystery, sciFi, comedy],
            maturity: [0, 0, 0, 0.45, 0.55], seriesChance: 0.12, episodeMinutes: 40...55, hue: 356, leansDark: true,
            label: "horror film",
            adjectives: [
                "Hollow", "Crooked", "Pale", "Wicked", "Rotting", "Silent", "Black", "Bleeding", "Forgotten", "Restless", "Hungry",
                "Nameless",
            ],
            nouns: [
                "House", "Woods", "Cellar", "Curse", "Dollmaker", "Hunger", "Ritual", "Lullaby", "Orchard", "Chapel", "Visitor", "Bones",
            ],
            gerunds: ["Haunting", "Waking", "Feeding", "Summoning", "Burying", "Hearing"],
            roles: [
                "a grieving mother", "a paranormal podcaster", "a night-shift security guard", "a college freshman", "a new caretaker",
            ],
            plots: [
                "moves into a farmhouse where the walls whisper at night", "spends one night in an abandoned asylum on a dare",
                "finds an old tape that should never be played", "hears a lullaby coming from the sealed cellar",
            ],
            incidents: [
                "the town's children start sleepwalking", "a cabin weekend goes terribly wrong",
                "something answers back during a ghost-hunting broadcast",
            ],
            goals: ["survive until sunrise", "break an old curse before the next full moon", "escape a house that will not let go"],
            settings: ["a farmhouse outside @", "an abandoned asylum near @", "the woods beyond @"],
            moods: ["scary", "creepy", "chilling", "dark", "gory"]),
        GenreSpec(
            name: "documentary", weight: 0.6, companions: [adventure, drama, crime],
            maturity: [0.35, 0.2, 0.35, 0.1, 0], seriesChance: 0.3, episodeMinutes: 40...55, hue: 96, leansDark: false,
            label: "documentary",
            adjectives: ["Last", "Deep", "Hidden", "Secret", "Wild", "Frozen", "Invisible", "Lost", "Great", "Living", "Untold", "Real"],
            nouns: [
                "Glacier", "Ocean", "Kitchen", "Coast", "Archive", "Migration", "Forest", "Machine", "Game", "Empire", "Reef", "Desert",
            ],
            gerunds: ["Saving", "Building", "Mapping", "Feeding", "Following", "Counting"],
            roles: [
                "a marine biologist", "a celebrated chef", "a record-breaking free diver", "a wildlife ranger", "a field archaeologist",
            ],
            plots: [
                "follows the migration of grey whales along the Pacific coast", "goes inside the kitchens that shaped modern cooking",
                "documents the last year of a vanishing glacier", "tracks the rise and fall of an arcade empire",
            ],
            incidents: ["a species thought extinct is spotted again", "a desert city runs out of water", "a famous heist is reopened"],
            goals: ["tell the story before it disappears", "count every wolf in the valley", "rebuild a reef by hand"],
            settings: ["the Arctic Circle", "the Pacific coast", "the deserts of the Southwest", "the river delta near @"],
            moods: ["inspiring", "eye-opening", "informative", "thought-provoking", "true-story"]),
        GenreSpec(
            name: "animation", weight: 0.6, companions: [family, comedy, adventure, fantasy],
            maturity: [0.55, 0.3, 0.12, 0.03, 0], seriesChance: 0.3, episodeMinutes: 22...28, hue: 278, leansDark: false,
            label: "animated adventure",
            adjectives: [
                "Little", "Brave", "Magic", "Tiny", "Paper", "Sparkling", "Clockwork", "Lucky", "Wandering", "Wonderful", "Flying",
                "Bouncing",
            ],
            nouns: ["Dragon", "Robot", "Fox", "Kingdom", "Balloon", "Lantern", "Submarine", "Garden", "Moon", "Penguin", "Kite", "Castle"],
            gerunds: ["Finding", "Saving", "Racing", "Building", "Flying", "Rescuing"],
            roles: [
                "a curious young fox", "a robot who wants to paint", "a lost penguin", "a tiny dragon afraid of fire",
                "a wind-up toy soldier",
            ],
            plots: [
                "sets off to find the end of the rainbow", "befriends a cloud that cannot rain", "builds a rocket from junkyard parts",
                "must return a fallen star to the sky",
            ],
            incidents: [
                "the moon gets stuck behind a mountain", "the toys wake up on moving day", "the last colors fade from the village",
            ],
            goals: ["bring color back to the world", "find the way home before winter", "win the great balloon race"],
            settings: ["the candy-colored town of @", "a floating island above @", "a toy shop in @"],
            moods: ["colorful", "whimsical", "playful", "charming", "imaginative"]),
        GenreSpec(
            name: "family", weight: 0.6, companions: [animation, comedy, adventure, fantasy],
            maturity: [0.6, 0.4, 0, 0, 0], seriesChance: 0.2, episodeMinutes: 22...30, hue: 128, leansDark: false,
            label: "family film",
            adjectives: ["Big", "Great", "Best", "Little", "Happy", "Wild", "Lucky", "Secret", "Magical", "Summer", "Perfect", "Merry"],
            nouns: [
                "Holiday", "Campout", "Puppy", "Treehouse", "Adventure", "Rescue", "Bake-Off", "Pony", "Science Fair", "Ranch", "Snow Day",
                "Road Trip",
            ],
            gerunds: ["Saving", "Adopting", "Rescuing", "Building", "Winning", "Finding"],
            roles: [
                "a bright ten-year-old inventor", "a stay-at-home dad", "the eldest of three siblings", "a retired circus clown",
                "a shy twelve-year-old",
            ],
            plots: [
                "must save the family ranch by the end of summer", "trains a clumsy puppy for the county fair",
                "builds a treehouse that turns out to be magical", "plans the ultimate snow day",
            ],
            incidents: [
                "grandma's bakery is about to close", "the class hamster escapes during the school play",
                "a snowstorm threatens to cancel the holidays",
            ],
            goals: ["win the science fair together", "save the old movie theater", "bring the family together for the holidays"],
            settings: ["the sleepy town of @", "a summer camp near @", "a snowy cabin outside @"],
            moods: ["feel-good", "heartwarming", "wholesome", "funny", "uplifting"]),
        GenreSpec(
            name: "crime", weight: 0.9, companions: [thriller, drama, mystery, action],
            maturity: [0, 0, 0.2, 0.45, 0.35], seriesChance: 0.3, episodeMinutes: 44...60, hue: 40, leansDark: true,
            label: "crime drama",
            adjectives: ["Dirty", "Cold", "Crooked", "Brutal", "Blue", "Long", "Hot", "Deep", "Bloody", "Clean", "Last", "Velvet"],
            nouns: [
                "Money", "Confession", "Job", "Syndicate", "Score", "Informant", "Precinct", "Racket", "Verdict", "Trade", "Heist",
                "Ledger",
            ],
            gerunds: ["Cleaning", "Laundering", "Running", "Working", "Cracking", "Framing"],
            roles: [
                "a veteran homicide detective", "a bookkeeper for the mob", "an undercover cop", "a getaway driver", "a public defender",
            ],
            plots: [
                "goes undercover inside a family-run syndicate", "plans one last score before retiring",
                "reopens a cold case the department wants buried", "cooks the books for the wrong people",
            ],
            incidents: ["a bank job goes sideways", "an informant turns up dead", "a shipment vanishes at the docks"],
            goals: ["take down the syndicate from the inside", "pull off the perfect heist", "find the killer before the trail goes cold"],
            settings: ["the waterfront of @", "the casinos of @", "the precincts of @"],
            moods: ["gritty", "dark", "violent", "suspenseful", "stylish"]),
        GenreSpec(
            name: "fantasy", weight: 0.6, companions: [adventure, action, romance, animation, family],
            maturity: [0.05, 0.2, 0.5, 0.2, 0.05], seriesChance: 0.25, episodeMinutes: 45...60, hue: 160, leansDark: false,
            label: "fantasy epic",
            adjectives: [
                "Shattered", "Ancient", "Emerald", "Silver", "Forgotten", "Hollow", "Eternal", "Crystal", "Wild", "Iron", "Golden", "Last",
            ],
            nouns: ["Crown", "Sword", "Kingdom", "Throne", "Realm", "Oracle", "Dragon", "Prophecy", "Tower", "Forest", "Heir", "Spell"],
            gerunds: ["Forging", "Reclaiming", "Breaking", "Guarding", "Crossing", "Awakening"],
            roles: ["a reluctant heir", "an apprentice sorcerer", "a dragon rider", "an exiled knight", "a forest witch"],
            plots: [
                "must reclaim a stolen crown before the solstice", "discovers a door to a kingdom under the lake",
                "breaks a thousand-year-old curse", "leads a rebellion against a mad sorcerer",
            ],
            incidents: ["the last dragon egg hatches", "an ancient prophecy names the wrong hero", "the enchanted forest begins to die"],
            goals: ["unite the warring realms", "return the stolen sword", "free the kingdom from an endless winter"],
            settings: ["the kingdom of @", "the enchanted marshes beyond @", "the mountain fortress of @"],
            moods: ["epic", "magical", "enchanting", "mythic", "sweeping"]),
        GenreSpec(
            name: "mystery", weight: 0.6, companions: [thriller, crime, drama, comedy],
            maturity: [0.05, 0.1, 0.5, 0.25, 0.1], seriesChance: 0.3, episodeMinutes: 45...60, hue: 262, leansDark: true,
            label: "mystery",
            adjectives: [
                "Missing", "Locked", "Hidden", "Curious", "Vanishing", "Midnight", "Crimson", "Seventh", "Quiet", "Strange", "Unsolved",
                "Silent",
            ],
            nouns: ["Room", "Guest", "Manor", "Clue", "Diary", "Key", "Portrait", "Lighthouse", "Case", "Cipher", "Secret", "Garden"],
            gerunds: ["Solving", "Finding", "Reading", "Unlocking", "Tracing", "Investigating"],
            roles: ["an amateur sleuth", "a retired schoolteacher", "a true-crime novelist", "a museum archivist", "a village constable"],
            plots: [
                "investigates a death at a snowed-in manor", "follows clues hidden in a stolen diary",
                "unravels the secret of a lighthouse keeper", "solves a locked-room mystery on a night train",
            ],
            incidents: [
                "a guest vanishes from a locked room", "a priceless portrait is replaced with a forgery",
                "every clock in the manor stops at midnight",
            ],
            goals: ["name the culprit before the storm clears", "decode the final cipher", "find the missing heir"],
            settings: ["a manor house outside @", "the lighthouse at @", "the old village of @"],
            moods: ["intriguing", "puzzling", "atmospheric", "clever", "cozy"]),
        GenreSpec(
            name: "adventure", weight: 0.7, companions: [action, fantasy, family, comedy, sciFi],
            maturity: [0.1, 0.25, 0.45, 0.15, 0.05], seriesChance: 0.15, episodeMinutes: 42...55, hue: 30, leansDark: false,
            label: "adventure",
            adjectives: [
                "Lost", "Great", "Wild", "Hidden", "Golden", "Endless", "Savage", "Sunken", "Forbidden", "Last", "Distant", "Burning",
            ],
            nouns: [
                "Expedition", "Treasure", "Island", "Jungle", "Map", "Voyage", "Temple", "River", "Compass", "Canyon", "Summit", "Quest",
            ],
            gerunds: ["Finding", "Crossing", "Climbing", "Searching for", "Chasing", "Charting"],
            roles: ["a treasure hunter", "a mountain guide", "a cartographer", "an estranged older sister", "a bush pilot"],
            plots: [
                "follows a century-old map into the jungle", "leads an expedition to a summit no one has climbed",
                "searches for a sunken galleon off the coast", "crosses a desert to deliver a priceless relic",
            ],
            incidents: [
                "a plane goes down in uncharted jungle", "an old compass starts pointing the wrong way", "a storm strands the expedition",
            ],
            goals: ["reach the summit before the monsoon", "find the lost city first", "get everyone home alive"],
            settings: ["the jungles south of @", "the canyons beyond @", "the islands off @"],
            moods: ["thrilling", "epic", "exciting", "sweeping", "daring"]),
    ]

    static let genreNames: [String] = genres.map(\.name)

    /// Made-up place names shared by all genres.
    static let places = [
        "Calder Falls", "Port Ardent", "Silverlake", "Ashford", "Brightwater", "Ravenmoor", "Kestrel Bay", "Mercy Hollow",
        "Juniper Ridge", "Halcyon City", "Thornbury", "Wolf Creek", "Saltmarsh", "Eastmere", "Cobalt Springs", "Larkspur",
        "Dunmore", "Vesper Island", "Redwater", "Glass Canyon", "Marrow Point", "New Avalon", "Pinecrest", "Stillwater",
        "Emberlyn", "Northgate", "Copper Hill", "Fairhaven", "Blackwood", "Lantern Cove",
    ]

    static let timeWords = [
        "Midnight", "Summer", "Winter", "Sunrise", "Last Night", "One Week", "Autumn", "Friday Night", "Dawn", "Christmas",
    ]

    static let firstNames = [
        "Ava", "Ben", "Cara", "Dev", "Elena", "Felix", "Grace", "Hugo", "Isla", "Jonah", "Kira", "Leo", "Maya", "Nico",
        "Olive", "Priya", "Quinn", "Rafael", "Sana", "Theo", "Uma", "Victor", "Willa", "Xavier", "Yara", "Zane", "Mara",
        "Callum", "Lena", "Omar", "Rosa", "Silas", "Tessa", "Jules", "Imani", "Marco", "Noor", "Dario", "Freya", "Arlo",
    ]

    static let lastNames = [
        "Ashby", "Brennan", "Calloway", "Delacroix", "Ellery", "Fairbanks", "Garrow", "Hale", "Iverson", "Jessup",
        "Kettering", "Lindqvist", "Marlowe", "Navarro", "Okafor", "Prescott", "Quill", "Rourke", "Sterling", "Thackeray",
        "Underwood", "Vance", "Whitlock", "Yardley", "Zamora", "Mercer", "Castellan", "Holloway", "Lavigne", "Sato",
        "Abara", "Bexley", "Crane", "Devereux", "Fontaine", "Grayson", "Harrow", "Kimura", "Moreau", "Pike",
    ]

    /// Poster compositions; each variant of a title gets a different one.
    static let artworkStyles = ["closeup", "ensemble", "landscape", "silhouette"]

    /// Local time offsets (minutes from UTC, standard time) of the five demo regions, in `Regions.us` order.
    static let regionOffsets: [String: Int] = [
        "us-northeast": -300, "us-southeast": -300, "us-midwest": -360, "us-south": -360, "us-west": -480,
    ]

    /// Replaces `@` in a setting template with a place name.
    static func fill(_ template: String, place: String) -> String {
        guard template.contains("@") else { return template }
        var out = ""
        for ch in template {
            if ch == "@" { out += place } else { out.append(ch) }
        }
        return out
    }
}
