package com.example.timeseries;

import com.example.timeseries.proto.TimeSeriesState;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenSequence;
import io.mmfuse.api.TokenSpace;
import io.mmfuse.api.proto.InputValue;

/**
 * Step 1: the tokenizer. A series of numeric readings (text such as {@code "1.5 2 3.25"}, or a protobuf
 * {@code FloatSeries}) becomes one continuous token per window of {@code window} readings (the last window padded
 * with its final reading), each with its own 1-D position; readings are standardized by the fitted state when the
 * settings ask for it. Thread-safe.
 */
public final class TimeSeriesTokenizer implements ModalityTokenizer<String> {
  static final String MODALITY = "timeseries";

  private final int window;
  private final int maxTokens;
  private final TimeSeriesState state;

  /** Windows of {@code window} readings, at most {@code maxTokens}; standardized by {@code state} unless null. */
  public TimeSeriesTokenizer(int window, int maxTokens, TimeSeriesState state) {
    this.window = window;
    this.maxTokens = maxTokens;
    this.state = state;
  }

  @Override
  public String modality() {
    return MODALITY;
  }

  @Override
  public Class<String> inputType() {
    return String.class;
  }

  @Override
  public TokenSpace tokenSpace() {
    return TokenSpace.continuous(MODALITY, window, maxTokens);
  }

  @Override
  public TokenSequence tokenize(String readings) {
    return tokenize(readings(readings));
  }

  /** Parses readings separated by spaces or semicolons. */
  float[] readings(String readings) {
    String[] parts = readings.trim().split("[\\s;]+");
    float[] values = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        values[i] = Float.parseFloat(parts[i]);
      } catch (NumberFormatException e) {
        throw new InvalidInputException("time series: reading " + (i + 1) + " is not a number: '" + parts[i] + "'");
      }
    }
    return values;
  }

  @Override
  public TokenSequence tokenize(InputValue value) {
    if (value.hasSeries()) {
      float[] v = new float[value.getSeries().getValuesCount()];
      for (int i = 0; i < v.length; i++) {
        v[i] = value.getSeries().getValues(i);
      }
      return tokenize(v);
    }
    return value.hasText() ? tokenize(value.getText()) : ModalityTokenizer.super.tokenize(value);
  }

  /** Cuts readings into windows. */
  public TokenSequence tokenize(float[] values) {
    if (values.length == 0) {
      throw new InvalidInputException("time series: no readings; expected at least one");
    }
    int tokens = Math.min(maxTokens, (values.length + window - 1) / window);
    float[] features = new float[tokens * window];
    for (int i = 0; i < features.length; i++) {
      float v = values[Math.min(i, values.length - 1)];
      features[i] = state == null ? v : (float) ((v - state.getMean()) / state.getStd());
    }
    return TokenSequence.ofFeatures(MODALITY, window, features);
  }
}
