"""What leaves the app: exports of tables (CSV, Excel), and later indicators, chart specs and PDF builders."""
