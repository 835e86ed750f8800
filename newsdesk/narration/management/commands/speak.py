import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from newsdesk.narration import actions, audio
from newsdesk.narration.engine import VoiceError
from newsdesk.narration.models import LexiconEntry
from newsdesk.narration.script import spoken_sentence
from newsdesk.narration.speech import speech_text
from newsdesk.narration.voice import current_voice, length_scale


class Command(BaseCommand):
    help = (
        "Narrate any text with the configured voice and pronunciation lexicon, or print the "
        "speech-ready text the voice would be given."
    )

    def add_arguments(self, parser):
        parser.add_argument("text", nargs="?", help="The text to read.")
        parser.add_argument("--file", type=Path, help="Read the text from this file.")
        parser.add_argument("-o", "--output", type=Path, help="Write the MP3 here.")
        parser.add_argument(
            "--print-text", action="store_true", help="Print the speech-ready text only."
        )
        parser.add_argument(
            "--lines",
            action="store_true",
            help="With --print-text: read standard input, print one line per input line.",
        )

    def handle(self, *args, text, file, output, print_text, lines, **options):
        lexicon = self.lexicon()
        if print_text and lines:
            for line in sys.stdin:
                self.stdout.write(speech_text(line.rstrip("\n"), lexicon))
            return
        paragraphs = self.paragraphs(text, file)
        if print_text:
            for paragraph in paragraphs:
                self.stdout.write(speech_text(paragraph, lexicon))
            return
        if output is None:
            raise CommandError("Say where to write the audio: -o OUT.mp3 (or use --print-text).")
        try:
            voice = current_voice()
            segments = [audio.Segment(speech_text(spoken_sentence(p), lexicon)) for p in paragraphs]
            rendering = audio.render(segments, voice, length_scale(), actions.cache_dir())
        except VoiceError as error:
            raise CommandError(str(error)) from error
        output.write_bytes(rendering.mp3)
        self.stdout.write(
            f"Wrote {output} ({rendering.duration:.1f} s, {len(rendering.mp3) / 1024:.0f} KB, "
            f"voice {voice.path.name})."
        )

    def paragraphs(self, text, file):
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as error:
                raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        elif text is None and not sys.stdin.isatty():
            text = sys.stdin.read()
        if not text or not text.strip():
            raise CommandError("Give the text to read: TEXT, --file F, or on standard input.")
        return [p.strip() for p in text.split("\n\n") if p.strip()]

    def lexicon(self):
        try:
            return LexiconEntry.as_mapping()
        except DatabaseError:
            self.stderr.write("No database yet (run `newsdesk migrate`): reading without lexicon.")
            return {}
