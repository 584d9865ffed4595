import MarqueeCore

/// What a question asks for, before it becomes typed queries.
public enum QuestionIntent: String, Codable, Sendable {
    /// One number (or a few) for one scope: "What's the CTR of Summer Blockbusters this week?"
    case single
    /// Two entities or two periods side by side.
    case compare
    /// Groups ordered by a measure, the top or bottom N.
    case rank
    /// A measure by a dimension.
    case breakdown
    /// A measure over time buckets, with the direction it moves.
    case trend
    /// Why a measure changed between two periods: mix and rate effects by dimension.
    case why
    /// Why a campaign under-delivers: the binding constraint.
    case delivery
}

/// A resolved value of a dimension.
public struct EntityRef: Codable, Sendable, Hashable {
    public var dimension: String
    public var id: String
    public var name: String
}

/// The slots of a question (and of a conversation's last question, which follow-ups change).
public struct QuestionSlots: Codable, Sendable, Hashable {
    public var intent: QuestionIntent = .single
    public var measures: [String] = []
    /// Filters: values of a dimension (ids for entities).
    public var filters: [EntityRef] = []
    public var time: NamedRange?
    /// The second period of a comparison or a why.
    public var otherTime: NamedRange?
    public var groupBy: [String] = []
    public var granularity: String?
    /// For rankings: true for the top (largest), false for the bottom.
    public var descending = true
    public var limit: Int?
    public var wantsChart = false
    /// For trend questions asking a direction ("is it trending up?").
    public var asksDirection = false
}

/// A name that matched several values.
struct Ambiguity {
    var phrase: String
    var candidates: [EntityRef]
}

/// What the parser found in one question.
struct ParsedQuestion {
    var slots = QuestionSlots()
    var foundMeasure = false
    var foundEntity = false
    var foundTime = false
    var foundGrouping = false
    var followUpCue = false
    /// The question says "it", "that", "they": it is about the conversation's subject.
    var pointsBack = false
    /// Refused as outside what the data can answer (a forecast, advice, a metric it does not have), not as hostile.
    var unsupported = false
    /// Says it is about everything ("our", "overall"): not a follow-up of the conversation's subject.
    var global = false
    var ambiguities: [Ambiguity] = []
    /// Names the question seems to give that match nothing known.
    var unknownNames: [String] = []
    var refusal: String?
    var chartOnly = false
}

/// Turns a question into slots: time phrases, names resolved fuzzily against the lexicon, measures,
/// groupings and the intent. Nothing of the question's text reaches SQL: only keys and resolved values.
struct QuestionParser {
    let lexicon: Lexicon
    let now: Timestamp

    static let stopWords: Set<String> = [
        "the", "a", "an", "and", "or", "of", "for", "in", "on", "at", "to", "by", "is", "are", "was", "were", "be", "been", "it", "its",
        "this", "that", "these", "those", "what", "whats", "which", "who", "how", "why", "when", "where", "did", "does", "do", "doing",
        "done", "our", "my", "we", "me", "show", "tell", "give", "get", "got", "much", "many", "has", "have", "had", "with", "from",
        "vs", "versus", "compare", "compared", "than", "about", "and", "last", "this", "week", "weeks", "day", "days", "month", "months",
        "today", "yesterday", "since", "between", "top", "bottom", "best", "worst", "most", "least", "highest", "lowest", "more", "less",
        "only", "just", "also", "per", "each", "every", "all", "any", "some", "down", "break", "breakdown", "split", "trend", "trending",
        "over", "time", "daily", "weekly", "monthly", "hourly", "up", "so", "far", "left", "still", "going", "doing", "perform",
        "performing", "performance", "there", "their", "them", "they", "please", "can", "you", "could", "would", "should", "will",
        "let", "see", "look", "like", "number", "numbers", "total", "overall", "average", "avg", "rate", "ad", "ads", "campaign",
        "campaigns", "advertiser", "advertisers", "creative", "creatives", "good", "bad", "well", "poorly", "better", "worse", "beating",
        "against", "drop", "dropped", "fall", "fell", "rise", "rose", "grow", "grew", "change", "changed", "under", "delivering",
        "underdelivering", "under-delivering", "behind", "pace", "pacing", "track", "flight", "chart", "graph", "plot", "draw", "as",
        "into", "come", "comes", "came", "bring", "brings", "brought", "content", "genres", "genre", "then", "now", "same", "other",
        "new", "first", "second", "plan", "plans", "region", "regions", "device", "devices", "watch", "watched", "viewers", "viewer",
        "unique", "saw", "seen", "see", "people", "users", "shown", "served", "spend", "spent", "budget", "remaining", "clicks",
        "impressions", "completion", "completions", "skips", "skip", "revenue", "frequency", "reach", "ctr", "ecpm", "cpm",
        "night", "nights", "morning", "evening", "afternoon", "tonight", "event", "events", "monday", "tuesday", "wednesday", "thursday",
        "friday", "saturday", "sunday", "full", "value", "open",
    ]
    /// Words that point back at the conversation's subject ("is it on pace?").
    static let pronouns: Set<String> = ["it", "its", "that", "they", "them", "their", "this", "those", "these", "same", "one"]

    func parse(_ question: String) -> ParsedQuestion {
        var p = ParsedQuestion()
        var text = " " + Text.normalize(question) + " "

        if let refusal = Self.refusal(for: " " + question.lowercased() + " ") ?? Self.refusal(for: text) {
            p.refusal = refusal
            return p
        }
        if let unsupported = Self.unsupported(text) {
            p.refusal = unsupported
            p.unsupported = true
            return p
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        p.followUpCue =
            [
                "and ", "what about", "how about", "only", "just ", "break that", "break it", "by ", "same ", "now ", "also", "show it",
                "and?", "ok ", "then ",
            ].contains { trimmed.hasPrefix($0) } || trimmed.hasPrefix("what if")

        // Time: up to two phrases ("this week vs last week").
        if let (range, covered) = TimePhrases.find(in: text, now: now) {
            p.slots.time = range
            p.foundTime = true
            text = text.replacingOccurrences(of: covered, with: " ")
            if let (second, covered2) = TimePhrases.find(in: text, now: now) {
                p.slots.otherTime = second
                text = text.replacingOccurrences(of: covered2, with: " ")
            }
        }

        // After the time phrases ("this week" is not "this"): does it point back at the conversation's subject?
        let words0 = Set(text.split(separator: " ").map(String.init))
        p.pointsBack = !words0.isDisjoint(with: Self.pronouns)
        p.global = !words0.isDisjoint(with: ["our", "overall", "total", "all", "every", "everything", "across", "network", "platform"])

        // Names: exact phrases (longest first), then near-misses (typos), then distinctive single words.
        resolveNames(&text, &p)
        p.unknownNames += unknownCapitalizedNames(question, known: p.slots.filters)

        // Measures.
        var measures: [(String, String.Index)] = []
        let synonyms = SemanticLayer.measures.flatMap { m in m.synonyms.map { ($0, m.key) } }.sorted { $0.0.count > $1.0.count }
        for (phrase, key) in synonyms {
            while let r = Text.containsWords(text, phrase) {
                if !measures.contains(where: { $0.0 == key }) { measures.append((key, r.lowerBound)) }
                text.replaceSubrange(r, with: String(repeating: " ", count: text.distance(from: r.lowerBound, to: r.upperBound)))
            }
        }
        p.slots.measures = measures.sorted { $0.1 < $1.1 }.map(\.0)
        // "unique viewers" and "how many viewers" are reach; "on pace"/"on track" pacing (handled by synonyms).
        p.foundMeasure = !p.slots.measures.isEmpty

        // Groupings: "by device", "per region", "across plans", "which creative", "top 5 campaigns".
        let words = text.split(separator: " ").map(String.init)
        func dimension(at i: Int) -> String? {
            guard i >= 0, i < words.count else { return nil }
            // Longer synonyms first ("time of day", "break kind").
            if i + 2 < words.count, let d = Self.dimensionWord(words[i] + " " + words[i + 1] + " " + words[i + 2]) { return d }
            if i + 1 < words.count, let d = Self.dimensionWord(words[i] + " " + words[i + 1]) { return d }
            return Self.dimensionWord(words[i])
        }
        for (i, w) in words.enumerated() {
            if ["by", "per", "across", "each"].contains(w) || (w == "for" && i + 1 < words.count && words[i + 1] == "each") {
                let next = w == "for" ? i + 2 : i + 1
                if let d = dimension(at: next) ?? dimension(at: next + 1), !p.slots.groupBy.contains(d) {
                    if let g = Self.granularityOf(d) { p.slots.granularity = g } else { p.slots.groupBy.append(d) }
                    p.foundGrouping = true
                }
            }
        }
        for w in words {
            switch w {
            case "daily": p.slots.granularity = "day"
            case "hourly": p.slots.granularity = "hour"
            case "weekly": p.slots.granularity = "week"
            case "monthly": p.slots.granularity = "month"
            default: continue
            }
            p.foundGrouping = true
        }

        // Ranking words and the dimension they rank.
        let t = text
        var rankDimension: String?
        if let m = t.firstMatch(of: #/(top|bottom|best|worst|highest|lowest|leading|weakest|strongest) (\d{1,3}) /#) {
            p.slots.limit = Int(m.2)
            p.slots.descending = ["top", "best", "highest", "leading", "strongest"].contains(String(m.1))
            rankDimension = Self.firstDimension(in: String(t[m.range.upperBound...]))
            p.slots.intent = .rank
        } else if let m = t.firstMatch(
            of: #/(?:^| )(top|bottom|best|worst|highest|lowest|most|least|leading|weakest|strongest|biggest|smallest)(?: |$)/#)
        {
            let word = String(m.1)
            p.slots.descending = ["top", "best", "highest", "most", "leading", "strongest", "biggest"].contains(word)
            if let d = Self.firstDimension(in: t) {
                rankDimension = d
                p.slots.intent = .rank
                if t.contains(" which ") || t.contains(" what ") || word == "best" || word == "worst" { p.slots.limit = 1 }
                if ["top", "bottom"].contains(word) { p.slots.limit = 5 }
                // "Which 5 campaigns had the best …": the number asked for.
                if let n = t.firstMatch(of: #/(?:which|what|the) (\d{1,3}) /#).flatMap({ Int($0.1) }) { p.slots.limit = n }
            }
        } else if let m = t.firstMatch(of: #/(?:^| )(which|what) (?:(\d{1,3}) )?([a-z-]+)(?: ([a-z-]+))?/#),
            let d = Self.dimensionWord(String(m.3)) ?? m.4.flatMap({ Self.dimensionWord(String($0)) }),
            Self.granularityOf(d) == nil
        {
            rankDimension = d
            if let n = m.2.flatMap({ Int($0) }) {
                p.slots.intent = .rank
                p.slots.limit = n
            } else if String(m.3).hasSuffix("s") && !t.contains(" most ") && !t.contains(" least ") {
                // "Which genres do its clicks come from?": every group.
                p.slots.intent = .breakdown
            } else {
                p.slots.intent = .rank
                p.slots.limit = 1
            }
        }
        if let d = rankDimension, Self.granularityOf(d) == nil, !p.slots.groupBy.contains(d) {
            p.slots.groupBy.insert(d, at: 0)
            p.foundGrouping = true
        }
        // "best"/"worst" mean the good end of the measure, whichever way it points.
        if p.slots.intent == .rank, t.contains(" worst ") || t.contains(" best "), let m = p.slots.measures.first,
            let measure = SemanticLayer.measure(m), !measure.definition.higherIsBetter
        {
            p.slots.descending.toggle()
        }

        // Intent.
        let lowered = " " + Text.normalize(question) + " "
        if lowered.contains(" why ") || lowered.hasPrefix(" why") || lowered.contains(" explain ") || lowered.contains(" what caused ") {
            let delivery = [
                "under-deliver", "underdeliver", "under deliver", "behind", "not delivering", "not spending", "slow", "under-pac",
                "underpac", "off pace", "pacing", "isnt spending", "not spend", "underspend", "under-spend", "spending its budget",
                "spend its budget", "spending the budget", "not serving", "isnt serving", "isnt delivering",
            ]
            p.slots.intent = delivery.contains { lowered.contains($0) } ? .delivery : .why
        } else if p.slots.intent != .rank {
            let compareCues = [
                " vs ", " vs. ", " versus ", " compare", " compared", " against ", " beating ", " better than ", " worse than ",
                " or ",
            ]
            let entitiesOfOneDimension = Dictionary(grouping: p.slots.filters, by: \.dimension).values.contains { $0.count >= 2 }
            if compareCues.contains(where: { lowered.contains($0) }) && (entitiesOfOneDimension || p.slots.otherTime != nil) {
                p.slots.intent = .compare
            } else if lowered.contains(" trend") || lowered.contains(" over time") || p.slots.granularity != nil
                || lowered.contains(" going up") || lowered.contains(" going down") || lowered.contains(" improving")
                || lowered.contains(" declining")
            {
                p.slots.intent = .trend
                if p.slots.granularity == nil { p.slots.granularity = "week" }
                p.slots.asksDirection =
                    lowered.contains(" up") || lowered.contains(" down") || lowered.contains(" improving")
                    || lowered.contains(" declining") || lowered.hasPrefix(" is ") || lowered.hasPrefix(" are ")
            } else if !p.slots.groupBy.isEmpty {
                p.slots.intent = .breakdown
            }
        }
        if p.slots.intent == .rank && (lowered.contains(" ahead") || lowered.contains(" behind")) {
            if !p.slots.measures.contains("pacing") { p.slots.measures.insert("pacing", at: 0) }
            p.slots.descending = lowered.contains(" ahead")
            p.foundMeasure = true
        }
        if lowered.contains(" on pace") || lowered.contains(" on track") || lowered.contains(" pacing") {
            if !p.slots.measures.contains("pacing") && p.slots.intent != .delivery { p.slots.measures.append("pacing") }
            p.foundMeasure = true
        }
        // "clicks better", "click more often": a rate, not a count.
        if p.slots.measures == ["ad_clicks"],
            [" better", " worse", " more often", " less often", " best", " worst"].contains(where: { lowered.contains($0) })
        {
            p.slots.measures = ["ad_ctr"]
        }
        if [" chart", " graph", " plot", " visual"].contains(where: { lowered.contains($0) }) {
            p.slots.wantsChart = true
            p.chartOnly = !p.foundMeasure && !p.foundEntity && !p.foundGrouping && !p.foundTime
        }
        return p
    }

    /// A dimension named by a word, or nil ("devices" → device, "daily" → date).
    static func dimensionWord(_ w: String) -> String? {
        for d in SemanticLayer.dimensions where d.synonyms.contains(w) { return d.key }
        return nil
    }

    static func granularityOf(_ dimension: String) -> String? {
        ["hour": "hour", "date": "day", "week": "week", "month": "month"][dimension]
    }

    static func firstDimension(in text: String) -> String? {
        let words = text.split(separator: " ").map(String.init)
        for (i, w) in words.enumerated() {
            if i + 1 < words.count, let d = dimensionWord(w + " " + words[i + 1]) { return d }
            if let d = dimensionWord(w), granularityOf(d) == nil { return d }
        }
        return nil
    }

    /// Questions the data cannot answer: forecasts, advice, metrics Marquee does not log, anything off topic.
    static func unsupported(_ text: String) -> String? {
        let future = [
            " will ", " going to be ", " forecast", " predict", " projection", " next month", " next week", " next year",
            " tomorrow", " next quarter", " expected to ",
        ]
        if future.contains(where: { text.contains($0) }) {
            return "I can't forecast: I answer with what the logs hold up to now. Ask how a measure went, or whether it is trending up."
        }
        let advice = [" should ", " recommend", " advice", " advise", " license", " what if ", " would happen"]
        if advice.contains(where: { text.contains($0) }) {
            return
                "I can't give advice or decide for you; I can give the numbers behind a decision — delivery, CTR, spend, pacing by any dimension."
        }
        let unknownMetrics = [
            "install", "conversion", "purchase", " sales", " roi", " roas", "signup", "sign-up", "sign up", "download", " leads",
            "subscriber", "cancel", "churn", "retention", "watch time", "watch-time", "viewing time", "minutes watched", "hours watched",
            "weather", "poem", "story", "joke", "song", "write me", "translate", "stock price", "profit", "margin", "brand lift",
            "attention",
        ]
        if let word = unknownMetrics.first(where: { text.contains($0) }) {
            return
                "I can't answer about \(word.trimmingCharacters(in: .whitespaces)): the ad data holds impressions, clicks, CTR, completions, "
                + "skips, abandons during breaks, spend and revenue, eCPM, reach, frequency, budget and pacing."
        }
        return nil
    }

    /// Questions the engine will not answer whatever else they contain: changes to data, a single viewer,
    /// instructions to the system, SQL.
    static func refusal(for text: String) -> String? {
        let t = text
        func matches(_ text: String, _ pattern: String) -> Bool {
            guard let regex = try? Regex(pattern) else { return false }
            return text.firstMatch(of: regex) != nil
        }
        let writes = [
            #"(^| )(delete|drop|truncate|remove|erase|wipe|pause|archive|stop|cancel|disable|enable|create|add|insert|update|modify|edit|change|set|increase|raise|lower|reduce|double|reset|grant|revoke|rename|kill|shut) (the |all |every |a |an |my |our |this |that )?(campaign|campaigns|advertiser|advertisers|creative|creatives|table|tables|database|db|data|budget|budgets|bid|bids|cap|caps|event|events|rows|records|users|profiles|profile|viewer|viewers|keys|key|everything|ad|ads|experiment|experiments|all)"#,
            #"(^| )(drop|truncate|alter|create) (table|database|index|schema)"#,
            #"(^| )insert into "#, #"(^| )delete from "#, #"(^| )update [a-z_]+ set "#,
        ]
        // An order rather than a question: "pause Summer Blockbusters", "raise the bid on …".
        let imperative =
            #"^ *(please )?(pause|stop|delete|remove|cancel|archive|resume|restart|start|launch|increase|decrease|raise|lower|set|change|update|edit|rename|create|add|drop|boost|double|halve|disable|enable|turn (on|off)|activate|deactivate|block|ban|refund|charge|move|transfer|approve|reject) "#
        if matches(t, imperative) {
            return "I only read the ad data; I can't change anything. Ask about delivery, clicks, spend or pacing instead."
        }
        for pattern in writes where matches(t, pattern) {
            return "I only read the ad data; I can't change anything. Ask about delivery, clicks, spend or pacing instead."
        }
        let sql = [
            #"(^| )select .*( from |\*)"#, #"(^| )union( all)? select"#, #"(^| )(drop|truncate|alter) (table|database|index|schema|view)"#,
            #"(^| )insert into"#, #"(^| )delete from"#, #"(^| )update [a-z_]+ set"#, #"(^| )(exec|execute|pragma|attach|vacuum) "#, #"--"#,
            #";"#,
            #"1 ?= ?1"#, #"sleep ?\("#, #"/\*"#, #"' ?or ?'"#,
        ]
        for pattern in sql where matches(t, pattern) {
            return "I can't run SQL or code from a question. Ask in words, for example: \"What's the CTR of a campaign last week?\""
        }
        let injection = [
            "ignore previous", "ignore all", "ignore the above", "ignore your", "disregard", "system prompt", "you are now", "jailbreak",
            "pretend", "act as", "developer mode", "reveal your", "new instructions", "override",
        ]
        if injection.contains(where: { t.contains($0) }) {
            return "I only answer questions about the ad data, with numbers from the data."
        }
        let personal = [
            #"(^| )(profile|viewer|user|customer|subscriber|person|account|member) (id )?[a-z]?\d+"#, #"(^| )p\d{1,7}( |$)"#,
            #"(^| )(which|what|who|whose|name the) (viewer|viewers|user|users|profile|profiles|person|people|customer|customers|subscriber|subscribers|household|households)( |$)"#,
            #"(^| )who (watched|clicked|saw|viewed|skipped)"#,
            #"(^| )(email|e-mail|address|phone number|ip address|password|credit card|home address)( |$)"#,
            #"(^| )(watch|viewing) history of"#,
            #"(^| )(list|show|give|export|dump) (me )?(all |the |every )?(viewers|users|profiles|events|raw|rows|people|customers)"#,
        ]
        for pattern in personal where matches(t, pattern) {
            return "I answer with totals over groups of at least 5 viewers; I can't show or single out one viewer."
        }
        return nil
    }

    // MARK: Names

    private func resolveNames(_ text: inout String, _ p: inout ParsedQuestion) {
        func blank(_ r: Range<String.Index>) {
            text.replaceSubrange(r, with: String(repeating: " ", count: text.distance(from: r.lowerBound, to: r.upperBound)))
        }
        var found: [EntityRef] = []
        // 0. The start of creatives' names, longer than any other name ("Back to School 15s" of "… 15s A" and
        //    "… 15s B"): the creative when one has it, a question back when several do.
        let otherNames = Set(lexicon.entries.filter { $0.dimension != "creative" }.flatMap(\.phrases))
        var prefixes: [String: [LexiconEntry]] = [:]
        for e in lexicon.entries where e.dimension == "creative" {
            let words = e.phrases[0].split(separator: " ").map(String.init)
            guard words.count >= 3, Text.containsWords(text, e.phrases[0]) == nil else { continue }
            for k in stride(from: words.count - 1, through: 2, by: -1) {
                let prefix = words[0..<k].joined(separator: " ")
                if otherNames.contains(prefix) { break }
                if Text.containsWords(text, prefix) != nil {
                    prefixes[prefix, default: []].append(e)
                    break
                }
            }
        }
        if let (prefix, entries) = prefixes.max(by: { $0.key.count < $1.key.count }), let r = Text.containsWords(text, prefix) {
            let refs = entries.map { EntityRef(dimension: $0.dimension, id: $0.id, name: $0.name) }
            if refs.count == 1 { found.append(refs[0]) } else { p.ambiguities.append(Ambiguity(phrase: prefix, candidates: refs)) }
            blank(r)
        }
        // 1. Exact phrases, longest first.
        let phrases = lexicon.entries.flatMap { e in e.phrases.map { ($0, e) } }.filter { !$0.0.isEmpty }.sorted { $0.0.count > $1.0.count }
        for (phrase, e) in phrases {
            guard let r = Text.containsWords(text, phrase) else { continue }
            // A bare attribute word that is also a measure or dimension word is not a value ("standard" alone is fine).
            let ref = EntityRef(dimension: e.dimension, id: e.id, name: e.name)
            if !found.contains(ref) { found.append(ref) }
            blank(r)
        }
        // 2. Near misses: windows of the remaining words against ad-book names (2+ words, similarity ≥ 0.8).
        var words = text.split(separator: " ").map(String.init)
        let named = lexicon.entries.filter { ["campaign", "advertiser", "creative"].contains($0.dimension) }
        var consumed = Set<Int>()
        // Every window against every name; the best matches win, without overlapping.
        var candidates: [(score: Double, entry: LexiconEntry, start: Int, length: Int)] = []
        for e in named {
            let target = e.phrases[0]
            let n = target.split(separator: " ").count
            guard target.count >= 6 else { continue }
            for length in Set([max(1, n - 1), n, n + 1]) where length <= words.count {
                for start in 0...(words.count - length) {
                    let candidate = words[start..<start + length].joined(separator: " ")
                    guard candidate.count >= 5 else { continue }
                    let score = Text.similarity(candidate, target)
                    if score >= 0.8 { candidates.append((score, e, start, length)) }
                }
            }
        }
        candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.entry.id < $1.entry.id }
        for c in candidates {
            let window = c.start..<c.start + c.length
            guard !window.contains(where: consumed.contains) else { continue }
            let ref = EntityRef(dimension: c.entry.dimension, id: c.entry.id, name: c.entry.name)
            if !found.contains(ref) { found.append(ref) }
            for k in window { consumed.insert(k) }
        }
        if !consumed.isEmpty {
            for k in consumed { words[k] = "" }
            text = " " + words.filter { !$0.isEmpty }.joined(separator: " ") + " "
            words = text.split(separator: " ").map(String.init)
        }
        // 3. Distinctive words standing for a name ("blockbusters", "harbor"): a word of 4+ letters, not an
        //    everyday word of questions, equal to (or the start of) a word of ad-book names.
        var partialHits: [String: [EntityRef]] = [:]
        for w in words where w.count >= 4 && !Self.stopWords.contains(w) && Double(w) == nil {
            var hits: [EntityRef] = []
            for e in named where e.partials {
                let nameWords = e.phrases[0].split(separator: " ").map(String.init)
                if nameWords.contains(where: {
                    $0 == w || ($0.hasPrefix(w) && w.count >= 5) || (w.count >= 6 && Text.similarity($0, w) >= 0.8)
                }) {
                    hits.append(EntityRef(dimension: e.dimension, id: e.id, name: e.name))
                }
            }
            if !hits.isEmpty { partialHits[w] = hits }
        }
        for (w, hits) in partialHits.sorted(by: { $0.key < $1.key }) {
            let fresh = hits.filter { h in !found.contains(h) }
            // Already named exactly ("Summer Blockbusters" and "blockbusters" again): nothing new.
            if fresh.count < hits.count { continue }
            if hits.count == 1 {
                found.append(hits[0])
            } else {
                // An advertiser and its only campaign named alike: the campaign is not more likely; ask.
                p.ambiguities.append(Ambiguity(phrase: w, candidates: hits))
            }
        }
        // Names given with a cue word that matched nothing: "campaign Autumn Thrills", "Autumn Thrills campaign".
        if found.isEmpty {
            for pattern in [
                #/(?:campaign|advertiser|creative|brand)s? (?:called|named) ([a-z0-9][a-z0-9 -]{2,40}?)(?: (?:doing|this|last|in|on|by|vs|compared|campaign|ctr|impressions|spend)|$)/#,
                #/(?:about|for|of|did|is|was|has) ([a-z0-9][a-z0-9 -]{2,40}?) (?:campaign|advertiser|creative)/#,
                #/what about ([a-z0-9][a-z0-9 -]{2,40})$/#,
                #/how (?:is|are|was|were|did|does) ([a-z0-9][a-z0-9 -]{2,40}?) (?:doing|do|perform|performing|going|look|looking)/#,
            ] {
                if let m = text.firstMatch(of: pattern) {
                    var name = String(m.1).trimmingCharacters(in: .whitespaces)
                    if name.hasPrefix("the ") { name.removeFirst(4) }
                    let words = name.split(separator: " ").map(String.init)
                    if !words.allSatisfy({ Self.stopWords.contains($0) }) { p.unknownNames.append(name) }
                }
            }
        }
        p.slots.filters = found
        p.foundEntity = !found.isEmpty
    }

    /// Runs of capitalized words in the original question that name nothing the lexicon knows ("Autumn
    /// Thrills"): a name the data does not have.
    func unknownCapitalizedNames(_ question: String, known: [EntityRef]) -> [String] {
        let questionWords: Set<String> = [
            "how", "what", "whats", "which", "who", "why", "is", "are", "was", "did", "does", "do", "show", "compare", "top", "bottom",
            "break", "give", "tell", "list", "and", "the", "best", "worst", "ctr", "tv", "ecpm", "cpm", "i", "vs", "ok", "okay", "please",
            "can", "could", "would", "also", "only", "just", "now", "then", "so", "mobile", "web", "tablet", "yes", "no",
        ]
        let calendar = Set(TimePhrases.monthNames + TimePhrases.monthShort + TimePhrases.weekdays)
        let knownText = known.map { Text.normalize($0.name) }.joined(separator: " | ")
        let allNames = lexicon.entries.flatMap(\.phrases).joined(separator: " | ")
        var runs: [[String]] = []
        var current: [String] = []
        let tokens = question.split(whereSeparator: { $0 == " " || $0 == "?" || $0 == "," || $0 == "!" || $0 == "\"" })
        for raw in tokens {
            var word = String(raw)
            if word.hasSuffix("'s") || word.hasSuffix("’s") { word.removeLast(2) }
            word = word.trimmingCharacters(in: .punctuationCharacters)
            let lower = word.lowercased()
            let capitalized = word.first?.isUppercase == true && word.count >= 2
            if capitalized && !questionWords.contains(lower) && !calendar.contains(lower) && Self.dimensionWord(lower) == nil
                && !SemanticLayer.measures.contains(where: { $0.synonyms.contains(lower) })
            {
                current.append(word)
            } else {
                if !current.isEmpty { runs.append(current) }
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        let knownWords = known.flatMap { Text.normalize($0.name).split(separator: " ").map(String.init) }
        return runs.map { $0.joined(separator: " ") }.filter { run in
            let n = Text.normalize(run)
            guard !n.isEmpty, !knownText.contains(n), !allNames.contains(n) else { return false }
            // A misspelling of a name the question resolved ("Zero Sugr, Full Flavor", "Streastick") is not another name.
            let words = n.split(separator: " ").map(String.init)
            return !words.contains { w in knownWords.contains { Text.similarity($0, w) >= 0.75 } }
        }
    }

    /// The closest ad-book names to an unknown one (for "did you mean").
    func suggestions(for name: String, limit: Int = 3, threshold: Double = 0.5) -> [EntityRef] {
        let target = Text.normalize(name)
        let named = lexicon.entries.filter { ["campaign", "advertiser"].contains($0.dimension) }
        return
            named
            .map { e in (e, Text.similarity(target, e.phrases[0])) }
            .filter { $0.1 >= threshold }
            .sorted { $0.1 > $1.1 }
            .prefix(limit)
            .map { EntityRef(dimension: $0.0.dimension, id: $0.0.id, name: $0.0.name) }
    }
}
