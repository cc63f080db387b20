package io.mmfuse.modality.text.internal;

import java.util.Map;

/**
 * Hugging Face's {@code WordPiece} model: greedy longest-match-first over the vocabulary, continuation pieces
 * prefixed (by {@code ##}), and a word that cannot be covered, or that is longer than {@code maxInputCharsPerWord}
 * code points, becomes the unknown token.
 */
public final class WordPiece implements Model {
  private final Map<String, Integer> vocab;
  private final int vocabSize;
  private final int unkId;
  private final int maxInputCharsPerWord;
  private final CharTrie starts;
  private final CharTrie continuations;

  public WordPiece(Map<String, Integer> vocab, String unkToken, String prefix, int maxInputCharsPerWord) {
    this.vocab = Map.copyOf(vocab);
    Integer unk = vocab.get(unkToken);
    if (unk == null) {
      throw new IllegalArgumentException("the unknown token " + unkToken + " is not in the vocabulary");
    }
    this.unkId = unk;
    this.maxInputCharsPerWord = maxInputCharsPerWord;
    int chars = 0;
    int max = 0;
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      chars += e.getKey().length();
      max = Math.max(max, e.getValue());
    }
    this.vocabSize = max + 1;
    starts = new CharTrie(chars);
    continuations = new CharTrie(chars / 2);
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      String token = e.getKey();
      if (!prefix.isEmpty() && token.startsWith(prefix)) {
        continuations.put(token.substring(prefix.length()), e.getValue());
      }
      starts.put(token, e.getValue());
    }
  }

  @Override
  public void encode(String text, int start, int end, boolean byteLevel, IntList out) {
    if (byteLevel) {
      text = ByteLevelAlphabet.map(text, start, end);
      start = 0;
      end = text.length();
    }
    if (end - start > maxInputCharsPerWord && text.codePointCount(start, end) > maxInputCharsPerWord) {
      out.add(unkId);
      return;
    }
    int mark = out.size();
    int pos = start;
    CharTrie trie = starts;
    while (pos < end) {
      int node = CharTrie.root();
      int bestEnd = -1;
      int bestId = -1;
      for (int i = pos; i < end; i++) {
        node = trie.next(node, text.charAt(i));
        if (node < 0) {
          break;
        }
        int id = trie.value(node);
        if (id >= 0) {
          bestEnd = i + 1;
          bestId = id;
        }
      }
      if (bestId < 0) {
        out.truncate(mark);
        out.add(unkId);
        return;
      }
      out.add(bestId);
      pos = bestEnd;
      trie = continuations;
    }
  }

  @Override
  public Map<String, Integer> vocabulary() {
    return vocab;
  }

  @Override
  public int vocabularySize() {
    return vocabSize;
  }
}
