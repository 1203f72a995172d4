import RegieModel

/// Apple Podcasts categories for `itunes:category`: the model's list (`PodcastCategories`, which
/// the JSON Schema and docs/apple-podcast-categories.txt mirror), split for the feed.
package enum ApplePodcastCategories {
    /// Splits `"Parent"` or `"Parent/Child"` and checks it against Apple's list.
    /// Returns nil when the category is not one Apple knows.
    package static func parse(_ category: String) -> (parent: String, child: String?)? {
        guard PodcastCategories.isValid(category) else { return nil }
        return PodcastCategories.split(category)
    }
}
