public enum MetricsExpositionPlaceholder {}
