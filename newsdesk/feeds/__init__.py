"""Site, topic, author and live feeds: RSS 2.0, Atom 1.0, JSON Feed 1.1 (docs/distribution.md)."""
