package io.mmfuse.modality.table;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;

/** Builds table tokenizers from an input's spec. */
public final class TableTokenizerFactory implements TokenizerFactory {
  /** The modality name this plugin claims. */
  public static final String MODALITY = "table";

  @Override
  public String modality() {
    return MODALITY;
  }

  @Override
  public Class<?> tokenizerType() {
    return TableTokenizer.class;
  }

  /** 0.1 for any column: the table takes what no other modality claims. */
  @Override
  public double claim(io.mmfuse.api.ColumnSample column) {
    return 0.1;
  }

  /** Every column the table claims is a cell of one table input, named {@code table}. */
  @Override
  public boolean inputPerColumn() {
    return false;
  }

  /** Loads the fitted state that the input's settings name. */
  static TableTokenizer load(TokenizerContext context) {
    String file = settings(context.spec()).getStateFile();
    if (file.isEmpty()) {
      throw new io.mmfuse.api.InvalidConfigurationException(
          "input '" + context.spec().getName() + "': the table tokenizer is not fitted; train the model first,"
              + " or set table.state_file to a fitted TableState");
    }
    java.nio.file.Path path = context.resolve(file);
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(path)) {
      return new TableTokenizer(io.mmfuse.modality.table.proto.TableState.parseFrom(in));
    } catch (java.io.IOException e) {
      throw new io.mmfuse.api.InvalidConfigurationException(
          "input '" + context.spec().getName() + "': table state " + path + " cannot be read: " + e, e);
    }
  }

  /**
   * Fits the table tokenizer on training rows (maps of column to cell text; null rows are skipped), writes its
   * {@code TableState} as {@code <input>.table-state.pb} and returns the spec naming it.
   */
  @Override
  public Fitted fit(TokenizerContext context, java.util.List<?> rows, java.nio.file.Path stateDirectory) {
    io.mmfuse.api.proto.InputSpec spec = context.spec();
    java.util.LinkedHashSet<String> columns = new java.util.LinkedHashSet<>();
    java.util.List<java.util.Map<?, ?>> maps = new java.util.ArrayList<>();
    for (Object row : rows) {
      if (row instanceof java.util.Map<?, ?> m) {
        maps.add(m);
        m.keySet().forEach(k -> columns.add(k.toString()));
      } else if (row != null) {
        throw new io.mmfuse.api.InvalidInputException(
            "input '" + spec.getName() + "': table rows must be maps of column to value, found "
                + row.getClass().getName());
      }
    }
    java.util.List<String> header = new java.util.ArrayList<>(columns);
    java.util.List<String[]> cells = new java.util.ArrayList<>();
    for (java.util.Map<?, ?> m : maps) {
      String[] r = new String[header.size()];
      for (int i = 0; i < r.length; i++) {
        Object v = m.get(header.get(i));
        r[i] = v == null ? "" : v.toString();
      }
      cells.add(r);
    }
    TableTokenizer t = TableTokenizer.fit(new TableData("training rows of '" + spec.getName() + "'", header, cells, 1),
        null, settings(spec));
    String file = spec.getName() + ".table-state.pb";
    io.mmfuse.api.internal.AtomicFiles.write(stateDirectory.resolve(file), t.state().toByteArray());
    io.mmfuse.api.proto.InputSpec saved =
        io.mmfuse.api.Settings.with(spec, settings(spec).toBuilder().setStateFile(file).build());
    return new Fitted(t, saved, summary(t.state()));
  }

  /** Each column and the kind it was given: "vendor categorical (2 values), added_in numeric". */
  static String summary(io.mmfuse.modality.table.proto.TableState state) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    for (io.mmfuse.modality.table.proto.ColumnState c : state.getColumnsList()) {
      String kind = c.getKind().name().toLowerCase(java.util.Locale.ROOT);
      parts.add(c.getName() + " " + kind + (c.getVocabularyCount() > 0 ? " (" + c.getVocabularyCount()
          + " values)" : ""));
    }
    state.getIgnoredList().forEach(c -> parts.add(c + " ignored"));
    return String.join(", ", parts);
  }

  private static io.mmfuse.modality.table.proto.TableSettings settings(io.mmfuse.api.proto.InputSpec spec) {
    return io.mmfuse.api.Settings.of(spec, io.mmfuse.modality.table.proto.TableSettings.class);
  }

  @Override
  public ModalityTokenizer<?> create(TokenizerContext context) {
    return TableTokenizerFactory.load(context);
  }
}
