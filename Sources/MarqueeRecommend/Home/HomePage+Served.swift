import MarqueeCore

extension HomePage {
    /// The page as the decision log keeps it — every item with its row, position, artwork and
    /// propensities — and the artwork shown, as (title, variant) pairs for the bandit.
    public func served(in catalog: HomeCatalog) -> (items: [ServedItem], artwork: [(title: Int, variant: Int)]) {
        var items: [ServedItem] = []
        var artwork: [(title: Int, variant: Int)] = []
        for row in rows {
            for (position, item) in row.items.enumerated() {
                let title = catalog.titles[item.title]
                var variantID: ArtworkVariantID?
                if let v = item.artworkVariant, title.artwork.indices.contains(v) {
                    variantID = title.artwork[v].id
                    artwork.append((item.title, v))
                }
                items.append(
                    ServedItem(
                        rowID: row.id, position: position, titleID: title.id, artworkVariant: variantID,
                        artworkSegment: variantID == nil ? nil : segment, artworkPropensity: item.artworkPropensity,
                        propensity: item.propensity, explored: item.explored))
            }
        }
        return (items, artwork)
    }
}
