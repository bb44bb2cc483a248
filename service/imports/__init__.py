"""Training providers' bulk work in spreadsheets: roster and attendance imports from XLSX or
CSV (run as jobs, resumable, reported row by row) and the subsidy claim roster they hand in."""
