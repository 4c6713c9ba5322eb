"""The risk screener's parts: text folding (:mod:`.text`), lexicon loading (:mod:`.lexicon`)."""
