package io.mmfuse.modality.text;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.modality.text.internal.AddedVocabulary;
import io.mmfuse.modality.text.internal.IntList;
import io.mmfuse.modality.text.internal.Model;
import io.mmfuse.modality.text.internal.Normalizer;
import io.mmfuse.modality.text.internal.PostProcessor;
import io.mmfuse.modality.text.internal.PreTokenizer;
import io.mmfuse.modality.text.internal.TokenizerFiles;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * A Hugging Face tokenizer read from a {@code tokenizer.json} (WordPiece or BPE, byte-level included) or from a BERT
 * {@code vocab.txt}, giving the same ids as the Hugging Face tokenizers library. Immutable and thread-safe.
 *
 * <pre>{@code
 * HfTokenizer bert = HfTokenizer.fromFile(Path.of("tokenizer.json"));
 * int[] ids = bert.encode("A cat on a mat.", true).ids(); // [101, 1037, 4937, ...]
 * }</pre>
 */
public final class HfTokenizer {
  private final String source;
  private final AddedVocabulary added;
  private final Normalizer normalizer;
  private final PreTokenizer preTokenizer;
  private final boolean byteLevel;
  private final Model model;
  private final PostProcessor postProcessor;
  private final Truncation truncation;

  /** Assembles a pipeline; use the {@code from...} factories. */
  public HfTokenizer(
      String source, AddedVocabulary added, Normalizer normalizer, PreTokenizer preTokenizer, Model model,
      PostProcessor postProcessor, Truncation truncation) {
    this.source = source;
    this.added = added;
    this.normalizer = normalizer;
    this.preTokenizer = preTokenizer;
    this.byteLevel = preTokenizer != null && preTokenizer.byteLevel();
    this.model = model;
    this.postProcessor = postProcessor == null ? PostProcessor.NONE : postProcessor;
    this.truncation = truncation;
  }

  /** Reads a {@code tokenizer.json}, or a BERT {@code vocab.txt} (lower-casing) when the name ends in {@code .txt}. */
  public static HfTokenizer fromFile(Path file) {
    return file.getFileName().toString().endsWith(".txt")
        ? fromBertVocab(file, true)
        : TokenizerFiles.readTokenizerJson(file);
  }

  /** Parses the text of a {@code tokenizer.json}; {@code source} names it in errors. */
  public static HfTokenizer fromJson(String json, String source) {
    return TokenizerFiles.parseTokenizerJson(json, source);
  }

  /** Reads a BERT {@code vocab.txt}, with the rules of Hugging Face's {@code BertTokenizerFast}. */
  public static HfTokenizer fromBertVocab(Path vocabTxt, boolean lowercase) {
    return TokenizerFiles.readBertVocab(vocabTxt, lowercase);
  }

  /** Returns a copy that truncates encodings as given (or not at all, for null). */
  public HfTokenizer withTruncation(Truncation truncation) {
    return new HfTokenizer(source, added, normalizer, preTokenizer, model, postProcessor, truncation);
  }

  /** Returns the truncation applied to every encoding, if any. */
  public Optional<Truncation> truncation() {
    return Optional.ofNullable(truncation);
  }

  /** Returns where this tokenizer was read from. */
  public String source() {
    return source;
  }

  /** Returns the number of ids the model can produce (largest id + 1, added tokens included). */
  public int vocabularySize() {
    int max = model.vocabularySize();
    for (AddedVocabulary.Token t : added.tokens()) {
      max = Math.max(max, t.id() + 1);
    }
    return max;
  }

  /** Returns the id of a token of the vocabulary or of the added tokens. */
  public Optional<Integer> tokenId(String token) {
    for (AddedVocabulary.Token t : added.tokens()) {
      if (t.content().equals(token)) {
        return Optional.of(t.id());
      }
    }
    return Optional.ofNullable(model.vocabulary().get(token));
  }

  /** Returns how many special tokens the post-processor adds to one text, or to a pair. */
  public int addedTokens(boolean pair) {
    return postProcessor.addedTokens(pair);
  }

  /** Encodes one text, with the special tokens of the post-processor when {@code addSpecialTokens}. */
  public Encoding encode(String text, boolean addSpecialTokens) {
    return finish(tokenize(text), null, addSpecialTokens);
  }

  /** Encodes a pair of texts (sentence A and B, type ids 0 and 1). */
  public Encoding encodePair(String a, String b, boolean addSpecialTokens) {
    return finish(tokenize(a), tokenize(b), addSpecialTokens);
  }

  /** Returns the ids of one text (no type ids): the cheapest call. */
  public int[] encodeIds(String text, boolean addSpecialTokens) {
    if (!addSpecialTokens && truncation == null) {
      return tokenize(text).toArray();
    }
    return encode(text, addSpecialTokens).ids();
  }

  /** Normalizes, pre-tokenizes and runs the model: the ids of one text before truncation and special tokens. */
  private IntList tokenize(String text) {
    text = replaceUnpairedSurrogates(text);
    IntList ids = new IntList(Math.max(16, text.length() / 3));
    PreTokenizer.Sink toModel = (s, start, end) -> model.encode(s, start, end, byteLevel, ids);
    AddedVocabulary.Sink modelSink =
        new AddedVocabulary.Sink() {
          @Override
          public void text(String s, int start, int end) {
            if (start == end) {
              return;
            }
            if (preTokenizer == null) {
              toModel.piece(s, start, end);
            } else {
              preTokenizer.split(s, start, end, toModel);
            }
          }

          @Override
          public void token(int id) {
            ids.add(id);
          }
        };
    added.splitRaw(
        text,
        new AddedVocabulary.Sink() {
          @Override
          public void text(String s, int start, int end) {
            if (start == end) {
              return;
            }
            String segment = start == 0 && end == s.length() ? s : s.substring(start, end);
            String normal = normalizer == null ? segment : normalizer.normalize(segment);
            added.splitNormalized(normal, modelSink);
          }

          @Override
          public void token(int id) {
            ids.add(id);
          }
        });
    return ids;
  }

  /**
   * An unpaired surrogate has no UTF-8 form. The reference tokenizer, reached from Java, receives the string's
   * modified UTF-8 and decodes it lossily: each unpaired surrogate becomes three U+FFFD. Done here the same way.
   */
  static String replaceUnpairedSurrogates(String text) {
    int n = text.length();
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
          i += 2;
          continue;
        }
        break;
      }
      i++;
    }
    if (i == n) {
      return text;
    }
    StringBuilder out = new StringBuilder(n + 8).append(text, 0, i);
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(i + 1));
        i += 2;
      } else {
        out.append(Character.isSurrogate(c) ? "\uFFFD\uFFFD\uFFFD" : String.valueOf(c));
        i++;
      }
    }
    return out.toString();
  }

  private Encoding finish(IntList first, IntList second, boolean addSpecial) {
    int[] a = first.toArray();
    int[] b = second == null ? null : second.toArray();
    if (truncation != null) {
      int added = addSpecial ? postProcessor.addedTokens(b != null) : 0;
      int max = truncation.maxLength() - added;
      if (max < 0) {
        throw new InvalidConfigurationException(
            "truncation to " + truncation.maxLength() + " tokens leaves no room for the " + added
                + " special tokens of " + source);
      }
      if (b == null) {
        a = cut(a, max);
      } else {
        int[] lengths = pairLengths(a.length, b.length, max);
        a = cut(a, lengths[0]);
        b = cut(b, lengths[1]);
      }
    }
    IntList ids = new IntList(a.length + (b == null ? 0 : b.length) + 4);
    IntList types = new IntList(ids.size() + 4);
    postProcessor.process(a, b, addSpecial, ids, types);
    return new Encoding(ids.toArray(), types.toArray());
  }

  private int[] pairLengths(int n1, int n2, int max) {
    if (n1 + n2 <= max) {
      return new int[] {n1, n2};
    }
    switch (truncation.strategy()) {
      case ONLY_FIRST:
        if (n2 >= max) {
          throw cannotTruncate("first", n2, max);
        }
        return new int[] {max - n2, n2};
      case ONLY_SECOND:
        if (n1 >= max) {
          throw cannotTruncate("second", n1, max);
        }
        return new int[] {n1, max - n1};
      default:
        // Hugging Face's longest-first: the shorter text keeps its length if it can, otherwise both get half.
        boolean swap = n1 > n2;
        int s = swap ? n2 : n1;
        int l;
        if (s > max) {
          l = s;
        } else {
          l = Math.max(s, max - s);
        }
        if (s + l > max) {
          s = max / 2;
          l = s + max % 2;
        }
        return swap ? new int[] {l, s} : new int[] {s, l};
    }
  }

  private InvalidConfigurationException cannotTruncate(String which, int other, int max) {
    return new InvalidConfigurationException(
        "truncation only of the " + which + " text cannot reach " + max + " tokens: the other text alone has "
            + other);
  }

  private int[] cut(int[] ids, int max) {
    if (ids.length <= max) {
      return ids;
    }
    return truncation.fromLeft()
        ? Arrays.copyOfRange(ids, ids.length - max, ids.length)
        : Arrays.copyOf(ids, max);
  }

  @Override
  public String toString() {
    return "HfTokenizer[" + source + "]";
  }
}
