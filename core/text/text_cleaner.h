// The text cleaning the CLIP tokenizer applies before BPE, reproduced without Python:
//   ftfy.fix_text (6.1 defaults) -> html.unescape twice -> strip -> collapse whitespace -> lower.
// The ftfy part covers what affects CLIP prompts: HTML entities (when the text has no '<'),
// UTF-8 mojibake read as Latin-1/Windows-1252, C1 controls, Latin ligatures, full-width
// forms, curly quotes, line breaks, terminal escapes, control characters, NFC. It does not
// reproduce ftfy's rarer heuristics (mixed single-byte codepages such as MacRoman or cp437).
#pragma once

#include <string>

namespace legrad {

// Throws legrad::Error on invalid UTF-8.
std::string clean_text(const std::string& utf8);

// open_clip's "canonicalize" cleaning, the one SigLIP's tokenizer applies: underscores to
// spaces, ASCII punctuation removed, lower-cased, whitespace runs to one space, stripped.
// Throws legrad::Error on invalid UTF-8.
std::string canonicalize_text(const std::string& utf8);

// The pieces, for tests and tools.
std::u32string ftfy_fix_text(const std::u32string& text);
std::u32string html_unescape(const std::u32string& text);  // Python's html.unescape
std::u32string python_lower(const std::u32string& text);   // str.lower(), locale-independent
bool python_isspace(char32_t c);                           // str.isspace()

}  // namespace legrad
