#pragma once
// "Did you mean ...?" for names a person typed: timeline fields and values
// here, command-line flags in the harness. Pure string functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schism::nemesis {

// Returns the candidate closest to `word` by edit distance (Damerau-Levenshtein
// in its optimal-string-alignment form, ignoring case: an insertion, deletion,
// substitution or swap of two neighbouring letters each costs 1) when it is
// close enough to be a likely typo: at most max(1, word.size() / 3) edits, and
// fewer edits than the longer of the two has letters (so "x" never suggests
// "t"). Ties go to the earliest candidate. Returns nullopt when none is close,
// or when `candidates` is empty.
std::optional<std::string> Closest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// Returns "; did you mean \"x\"?" with x = Closest(word, candidates), or ""
// when nothing is close: the tail of a one-line error message.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace schism::nemesis
