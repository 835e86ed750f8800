"""AI narration: articles read aloud by a local Piper voice and served as MP3."""
