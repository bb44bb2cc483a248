"""Infrastructure every domain stands on: settings, database, time, columns, storage, logs."""
