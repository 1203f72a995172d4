import Foundation

/// Apple Podcasts categories and subcategories (the list Apple publishes for `itunes:category`).
public enum ApplePodcastCategories {
    /// Parent category → allowed subcategories.
    public static let all: [String: Set<String>] = [
        "Arts": ["Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"],
        "Business": ["Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"],
        "Comedy": ["Comedy Interviews", "Improv", "Stand-Up"],
        "Education": ["Courses", "How To", "Language Learning", "Self-Improvement"],
        "Fiction": ["Comedy Fiction", "Drama", "Science Fiction"],
        "Government": [],
        "History": [],
        "Health & Fitness": ["Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"],
        "Kids & Family": ["Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"],
        "Leisure": ["Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
                    "Home & Garden", "Video Games"],
        "Music": ["Music Commentary", "Music History", "Music Interviews"],
        "News": ["Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
                 "Sports News", "Tech News"],
        "Religion & Spirituality": ["Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion",
                                    "Spirituality"],
        "Science": ["Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
                    "Natural Sciences", "Nature", "Physics", "Social Sciences"],
        "Society & Culture": ["Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"],
        "Sports": ["Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby",
                   "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"],
        "Technology": [],
        "True Crime": [],
        "TV & Film": ["After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"],
    ]

    /// Splits `"Parent"` or `"Parent/Child"` and checks both against Apple's list.
    /// Returns nil when the category is not one Apple knows.
    public static func parse(_ category: String) -> (parent: String, child: String?)? {
        // Split on the first "/" only: no category name contains one.
        let parts = category.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let children = all[first] else { return nil }
        if parts.count == 1 { return (first, nil) }
        guard children.contains(parts[1]) else { return nil }
        return (first, parts[1])
    }
}
