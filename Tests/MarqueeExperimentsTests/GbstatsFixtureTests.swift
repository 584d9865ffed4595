import Testing

@testable import MarqueeExperiments
