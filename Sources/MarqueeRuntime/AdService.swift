import Foundation
import Logging
import MarqueeAds
import MarqueeCore
import MarqueeKernels
import Synchronization

/// The ad side of the server: keeps the decision engine's ad book current, folds ad events into
/// it, decides pods, remembers recent pods for their VAST documents and beacons, and logs every
/// decision through a batched writer. Titles, profiles and viewers' top genres come from the shared
/// read models (`CatalogReadModel`, `ViewerFactsReadModel`), not from the home page's service.
public final class AdService: Sendable {
    let store: any MarqueeStore
    /// The served catalog and the profiles table (shared with the home page).
    public let catalog: CatalogReadModel
    /// Viewers' facts from the event log: top genres (shared with the home page).
    public let viewers: ViewerFactsReadModel
    public let engine: AdDecisionEngine
    /// Signs and verifies the tracking beacons (replaced once if the server learns its address at bind).
    public var signer: BeaconSigner { signerBox.withLock { $0 } }
    private let signerBox: Mutex<BeaconSigner>
    public let changes: AdBookChanges
    /// Grants each decision's ads against budgets and caps in the store and logs the decision, in one
    /// transaction shared by the decisions that arrive together (before any of them is answered).
    let ledger: GroupCommitter<LedgerDecision, [ReservationOutcome]>
    /// Where the warm-up's replay of the log ends (the tail folds what comes after).
    let tail: EventTail?
    let logger: Logger
    public let breakPolicy: BreakPolicy
    /// The running experiments, whose overrides each decision applies for its unit.
    let experiments: ExperimentService?
    /// The delivery clock (flights, budgets, caps, pacing, beacon ages); tests fix it.
    public let clock: @Sendable () -> Timestamp
    /// Whether the warm-up starts from the delivery state's checkpoint (`restoreOrReplay`).
    let restoresCheckpoint: Bool
    /// What the warm-up restored (the checkpoint's position, nil for none) and how many events it folded.
    let warmUpFold = Mutex<(restored: FoldPosition?, folded: Int)>((nil, 0))
    private let loadedVersion = Mutex<UInt64?>(nil)
    private let warming = Mutex<Task<Void, any Error>?>(nil)
    private let recent = Mutex(RecentPods(capacity: 100_000))
    /// Regions a request may name (profiles' and campaigns'), and when they were read (wall-clock ms).
    private let knownRegions = Mutex<(Set<String>, Int64)>(([], Int64.min / 2))
    /// Teaches the served CTR model from the decision log, shared with every process through the store.
    public let learner: CTRLearner

    /// A decided pod and what its beacons and VAST document need.
    public struct Served: Sendable {
        public var pod: AdPod
        public var profileKey: String
        public var sessionID: SessionID?
        public var device: Device?
        public var servedAt: Timestamp
    }

    struct RecentPods {
        let capacity: Int
        var pods: [String: Served] = [:]
        /// Decision ids, oldest first.
        var order = RingQueue<String>()

        init(capacity: Int) {
            self.capacity = capacity
            pods.reserveCapacity(capacity + 1)
            order.reserveCapacity(capacity + 1)
        }

        mutating func insert(_ served: Served) {
            pods[served.pod.decisionID] = served
            order.append(served.pod.decisionID)
            while pods.count > capacity, let oldest = order.removeFirst() { pods[oldest] = nil }
        }
    }

    public init(
        store: any MarqueeStore, catalog: CatalogReadModel, viewers: ViewerFactsReadModel, changes: AdBookChanges, signer: BeaconSigner,
        tail: EventTail? = nil, logger: Logger,
        configuration: AdDecisionConfiguration = .init(),
        breakPolicy: BreakPolicy = BreakPolicy(), clock: @escaping @Sendable () -> Timestamp = { Timestamp.now() },
        restoresCheckpoint: Bool = false, experiments: ExperimentService? = nil
    ) {
        self.clock = clock
        self.experiments = experiments
        self.restoresCheckpoint = restoresCheckpoint
        self.store = store
        self.catalog = catalog
        self.viewers = viewers
        self.changes = changes
        self.signerBox = Mutex(signer)
        self.ledger = GroupCommitter(maxBatch: 256) { [store] decisions in try await store.reserveAndLog(decisions) }
        self.tail = tail
        self.logger = logger
        self.breakPolicy = breakPolicy
        // The model learns from every process's decisions in the log (`CTRLearner`), not from this engine's own.
        var engineConfiguration = configuration
        engineConfiguration.learnsFromOwnOutcomes = false
        let engine = AdDecisionEngine(inventory: AdInventory(), configuration: engineConfiguration, clickModel: .serving())
        self.engine = engine
        self.learner = CTRLearner(
            store: store, model: engine.clicks, labelWindowMs: configuration.labelWindowMs, clock: clock, logger: logger)
    }

    // MARK: State

    /// Loads the ad book and replays the ad events of the log once (spend, caps, sessions).
    public func warmUp() async throws {
        let task = warming.withLock { current -> Task<Void, any Error> in
            if let current { return current }
            let task = Task { try await self.load() }
            current = task
            return task
        }
        try await task.value
    }

    private func load() async throws {
        try await reloadBook()
        // The logs up to the tail's starting point (all of them without a tail); the tail folds the rest.
        let end = try await tail?.startingPoint() ?? EventLogPosition(events: .max, contextualAdEvents: .max)
        let replayed = try await restoreOrReplay(end: end)
        // The CTR model: the store's shared one, and what the log teaches after it.
        let examples = try await learner.step()
        engine.sweep(now: clock())
        logger.info(
            "ad state loaded",
            metadata: ["marquee.ads.events": .stringConvertible(replayed), "marquee.ads.ctr_examples": .stringConvertible(examples)])
    }

    /// Replaces the local figures of spend and reservations by the ledger's for today.
    public func refreshDelivery() async throws {
        let day = DeliveryDay.of(clock())
        engine.refresh(totals: try await store.campaignDeliveryTotals(day: day), day: day)
    }

    /// Releases the reservations no impression confirmed within the reservation window (any process may;
    /// it is idempotent).
    public func releaseExpiredReservations() async throws {
        _ = try await store.releaseExpiredReservations(
            servedBefore: clock().adding(seconds: -Double(engine.configuration.reservationMs) / 1000))
    }

    /// Signs from now on with `signer` (the same key, the address the server is reachable at).
    public func replaceSigner(_ signer: BeaconSigner) { signerBox.withLock { $0 = signer } }

    /// Rebuilds the engine's ad book from the store.
    public func reloadBook() async throws {
        let version = changes.version
        let advertisers = try await store.advertisers(limit: 1_000_000, offset: 0).items
        let campaigns = try await store.campaigns()
        let creatives = try await store.creatives()
        engine.replace(inventory: AdInventory(advertisers: advertisers, campaigns: campaigns, creatives: creatives))
        loadedVersion.withLock { $0 = version }
    }

    /// Reloads the ad book when the admin API changed it since the last load.
    public func refreshIfChanged() async throws {
        let current = changes.version
        if loadedVersion.withLock({ $0 }) != current { try await reloadBook() }
    }

    /// Folds accepted events (ad events, abandons) into spend, caps, sessions and the CTR model.
    public func observe(_ events: [Event]) async {
        let relevant = events.filter { $0.type.isAd || $0.type == .abandon }
        guard !relevant.isEmpty else { return }
        do {
            try await warmUp()
            engine.observe(relevant)
        } catch {
            logger.error("could not fold ad events", metadata: ["marquee.error": "\(error)"])
        }
    }

    // MARK: Deciding

    /// What a client asks for: the break and its context.
    public struct Ask: Sendable {
        public var profileKey: String
        public var titleID: String
        public var breakKind: BreakKind
        public var cueSeconds: Double
        public var device: Device?
        public var region: String?
        /// The viewer's local time (context only); nil: the server's clock in UTC.
        public var at: LocalTime?
        public var sessionID: SessionID?
        public var maxPodSeconds: Int?
        /// The seed of the decision's exploration and pacing draws; nil: one from the decision id (a
        /// simulation that must replay gives its own).
        public var seed: UInt64?

        public init(
            profileKey: String, titleID: String, breakKind: BreakKind, cueSeconds: Double, device: Device?, region: String?, at: LocalTime?,
            sessionID: SessionID?, maxPodSeconds: Int?, seed: UInt64? = nil
        ) {
            self.seed = seed
            self.profileKey = profileKey
            self.titleID = titleID
            self.breakKind = breakKind
            self.cueSeconds = cueSeconds
            self.device = device
            self.region = region
            self.at = at
            self.sessionID = sessionID
            self.maxPodSeconds = maxPodSeconds
        }
    }

    /// Decides and logs a pod. Throws not-found for an unknown title.
    public func decide(_ ask: Ask) async throws -> (pod: AdPod, served: Served, tracking: [AdBeacons]) {
        try await warmUp()
        try await refreshIfChanged()
        if let region = ask.region { try await checkRegion(region, field: "region") }
        guard let title = try await catalog.title(ask.titleID) else {
            throw MarqueeError.notFound("title", id: EventInput.clipForMessage(ask.titleID))
        }
        let viewer = try await viewers.adViewer(ask.profileKey)
        // The running experiments' overrides for this unit (the defaults when it is in none).
        let (configuration, policy) =
            experiments?.adConfiguration(
                unit: ask.profileKey, plan: viewer?.plan, region: viewer?.region ?? ask.region, device: ask.device)
            ?? (engine.configuration, breakPolicy)
        let maxPod =
            ask.maxPodSeconds ?? (ask.breakKind == .preRoll ? policy.preRollMaxSeconds : policy.midRollMaxSeconds)
        let servedAt = clock()
        let decisionID: String
        let seed: UInt64
        if let given = ask.seed {
            // A replayable decision: its id and draws from the caller's seed.
            var generator = SeededGenerator(seed: given)
            (decisionID, seed) = (DecisionIDs.make(prefix: "a-", at: servedAt, using: &generator), given)
        } else {
            (decisionID, seed) = DecisionIDs.make(prefix: "a-", at: servedAt)
        }
        let request = AdRequest(
            profileKey: ask.profileKey, viewer: viewer,
            content: ContentFacts(titleID: title.id, genres: title.genres, maturity: title.maturityRating), breakKind: ask.breakKind,
            cueSeconds: ask.cueSeconds, device: ask.device, region: ask.region,
            at: ask.at ?? LocalTime(instant: servedAt, offsetMinutes: 0), now: servedAt, sessionID: ask.sessionID,
            maxPodSeconds: maxPod, seed: seed)
        // Propose from the local cache, have the store's ledger grant and log it, then finish the pod.
        let proposal = engine.propose(request, decisionID: decisionID, configuration: configuration)
        let outcomes = try await ledger.submit(
            LedgerDecision(record: proposal.record(servedAt: servedAt), reservations: proposal.reservations))
        let pod = engine.complete(proposal, outcomes: outcomes)
        let served = Served(pod: pod, profileKey: ask.profileKey, sessionID: ask.sessionID, device: ask.device, servedAt: servedAt)
        recent.withLock { $0.insert(served) }
        let tracking = pod.ads.map { ad in
            signer.beacons(decisionID: DecisionID(trusted: decisionID), slot: ad.slot, creativeID: ad.creativeID, issuedAt: servedAt)
        }
        return (pod, served, tracking)
    }

    /// Refuses a region no profile is in and no campaign targets (a typo such as `us-wset` would
    /// otherwise just match no targeting): 422 naming `field` with the known regions. The known set is
    /// cached and read again from the store on a miss, at most every 5 seconds.
    public func checkRegion(_ region: String, field: String) async throws {
        guard !region.isEmpty, region.utf8.count <= 64 else { throw MarqueeError.invalidValue(field: field, reason: "1 to 64 characters") }
        let now = Timestamp.wallClockMilliseconds()
        let (known, checkedAt) = knownRegions.withLock { $0 }
        if known.contains(region) { return }
        var regions = known
        if now - checkedAt >= 5_000 {
            try await warmUp()
            regions = try await store.profileRegions()
            for campaign in engine.inventory.campaigns { regions.formUnion(campaign.campaign.targeting.regions) }
            let fresh = regions
            knownRegions.withLock { $0 = (fresh, now) }
        }
        guard regions.contains(region) else {
            throw MarqueeError(
                .invalidValue, code: "invalid_value",
                message:
                    "\(field): unknown region '\(EventInput.clipForMessage(region))' (known: \(regions.sorted().joined(separator: ", ")))")
        }
    }

    /// Spend so far of a campaign, in millicents (1/1000 cent): spent, reserved, spent today, impressions.
    public func delivery(of campaign: CampaignID) -> (spent: Int64, reserved: Int64, spentToday: Int64, impressions: Int)? {
        engine.delivery(of: campaign)
    }

    /// A pod by decision id: from this process's recent pods, else read through from the decision log (a
    /// pod another process served, or one this process served before a restart). A decision made in
    /// the last few seconds may still be on its way into the log: its id carries its serving time, and
    /// for such an id a miss is read again for up to a second. Nil when the log does not have it.
    public func served(_ decisionID: String) async throws -> Served? {
        if let local = recent.withLock({ $0.pods[decisionID] }) { return local }
        guard DecisionID.problem(with: decisionID) == nil else { return nil }
        let recentlyMade =
            DecisionIDs.time(of: decisionID).map { abs(clock().millisecondsSinceEpoch - $0.millisecondsSinceEpoch) < 5_000 } ?? false
        for wait in [0, 100, 200, 300, 400] {
            if wait > 0 {
                guard recentlyMade else { return nil }
                try await Task.sleep(for: .milliseconds(wait))
            }
            if let record = try await store.adDecision(id: DecisionID(trusted: decisionID)) {
                let served = servedPod(from: record)
                recent.withLock { $0.insert(served) }
                return served
            }
        }
        return nil
    }

    /// A logged decision as a served pod, its ads described from the ad book (names, media and click URLs).
    func servedPod(from record: AdDecisionRecord) -> Served {
        let inventory = engine.inventory
        let ads = record.ads.compactMap { logged -> PodAd? in
            guard let i = inventory.creativeIndex[logged.creativeID.rawValue] else { return nil }
            let creative = inventory.creatives[i]
            let compiled = inventory.campaigns[inventory.campaignOfCreative[i]]
            return PodAd(
                slot: logged.slot, creativeID: logged.creativeID, campaignID: logged.campaignID, advertiserID: logged.advertiserID,
                creativeName: creative.name, advertiserName: compiled.advertiser.name, category: logged.category,
                durationSeconds: logged.durationSeconds, mediaURL: creative.mediaURL, clickURL: creative.clickURL,
                tier: compiled.campaign.priority, cpmCents: logged.cpmCents, priceCents: Double(logged.cpmCents) / 1000, pCTR: logged.pCTR,
                score: 0, propensity: logged.propensity, explored: logged.explored, reason: "", exposuresWeek: logged.exposuresWeek,
                sessionAds: logged.sessionAds)
        }
        let pod = AdPod(
            decisionID: record.decisionID.rawValue, ads: ads, reasons: record.reasons,
            maxPodSeconds: ads.reduce(0) { $0 + $1.durationSeconds },
            maxAds: ads.count, personalized: record.personalized)
        return Served(
            pod: pod, profileKey: record.profileKey, sessionID: record.sessionID, device: record.device, servedAt: record.servedAt)
    }

    /// The VAST document of a pod; `tracking` are its beacon URLs when the caller has them already
    /// (signed by `decide`), else they are signed again from the pod.
    public func vast(_ served: Served, tracking: [AdBeacons]? = nil) -> VASTDocument {
        let ads = served.pod.ads.enumerated().map { i, ad in
            VASTAd(
                id: served.pod.decisionID + "-" + String(ad.slot), sequence: ad.slot + 1, creativeID: ad.creativeID,
                campaignID: ad.campaignID, title: ad.creativeName, advertiser: ad.advertiserName,
                durationSeconds: Double(ad.durationSeconds), skipOffsetSeconds: ad.durationSeconds >= 15 ? 5 : nil, mediaURL: ad.mediaURL,
                clickThroughURL: ad.clickURL,
                trackingURLs: tracking.map { $0[i].urls }
                    ?? signer.urls(
                        decisionID: DecisionID(trusted: served.pod.decisionID), slot: ad.slot, creativeID: ad.creativeID,
                        issuedAt: served.servedAt))
        }
        return VASTDocument(ads: ads)
    }

    // MARK: Beacons

    /// Turns a verified beacon into the ad event it stands for; nil for `start`, which the event
    /// log does not record. `errorCode` is an error beacon's VAST error code, when the player gave one.
    public func event(for beacon: TrackingBeacon, at now: Timestamp, errorCode: Int? = nil) async throws -> Event? {
        guard let type = beacon.eventType else { return nil }
        var profileKey: String
        var session: SessionID?
        var device: Device?
        var campaign: CampaignID?
        if let served = try await served(beacon.decisionID.rawValue) {
            profileKey = served.profileKey
            session = served.sessionID
            device = served.device
            campaign = served.pod.ads.first { $0.slot == beacon.slot }?.campaignID
        } else {
            throw MarqueeError(.gone, code: "decision_unknown", message: "the beacon's decision is no longer known")
        }
        if ProfileID.problem(with: profileKey) != nil { profileKey = "unknown" }
        return Event(
            id: beacon.eventID, profileID: ProfileID(trusted: profileKey), type: type, timestamp: now,
            decisionID: beacon.decisionID, context: EventContext(device: device, sessionID: session), rank: beacon.slot,
            creativeID: beacon.creativeID, campaignID: campaign, quartile: beacon.quartile,
            errorCode: beacon.event == .error ? errorCode : nil)
    }
}
