"""Ingestion: from a file and a target name to model input, with every rule written down.

Reading (`read_csv`)
- The file's first bytes decide its kind (`formats.py`), else its name: Parquet, Feather
  (Arrow IPC) or CSV, plain or gzip / bzip2 / xz / ZIP (one file) compressed. Parquet and
  Feather columns keep their stored types (dictionary columns as their values, decimals as
  floats); columns of lists, structs or bytes are dropped with a notice. The rules below are
  those of CSV text, compressed or not.
- The header is the first non-blank line. Names are stripped of surrounding spaces; an empty
  name becomes "Unnamed: <i>". Duplicate names are an error (pandas would rename them).
- Separator: the one of `,` `;` tab `|` that splits the header into the most fields (a comma
  on ties). Semicolon files are read with decimal commas ("1,5"). Rows that end with one
  extra, empty field (a trailing separator on every line) are read as if it were absent.
- Encoding: UTF-8, with or without a byte-order mark. A file that is not valid UTF-8 is read
  as Windows-1252 (a superset of Latin-1's printable characters, what spreadsheet programs
  on Windows write) with a notice; a file that is neither, or UTF-16, is an error.
- Missing values: empty cells and, after stripping spaces and ignoring case, NA, N/A, nan,
  null, None, ?, #N/A, <NA>, NaT. Infinite numbers are missing too.
- Rows with fewer fields than the header are padded with missing values; a row with more
  fields is an error naming the line. Other binary files (xlsx, xls, PDF, SQLite, anything
  with NUL bytes, damaged archives, a ZIP of several files), HTML and JSON are refused, as
  are empty files and files with a header but no rows.
- A pandas DataFrame (`automl_cli.fit`) is read as a copy (`frame.py`): its names as a
  header's, categories as their values, nullable types as plain ones; the index is not data.

Column types (judged on the rows whose target is present)
- dropped: all values missing; constant (one value and no missing cells; a single value
  beside missing cells is kept, since missingness can carry signal); an integer column with a
  distinct value on every row of the file that is named like a key (id, *_id, *Id, index,
  key, uuid, guid, "Unnamed: 0") or counts up by one in file order (a row index); a text
  column in which no value occurs twice (names, free text, IDs).
- boolean: bool cells, or text whose values are one true and/or one false spelling of
  true/false, t/f, yes/no, y/n (any case). Model input 1.0/0.0.
- numeric: numbers, or text of which at least 95% of the present cells parse as numbers (the
  rest read as missing, with a notice). Integer columns with 3 to 10 distinct values are
  categorical instead (codes, counts of few values); two-valued integers stay numeric.
- numeric too: text in which every present cell is a number written in one format,
  "1,234.5" (decimal point; digits grouped in threes by commas, spaces or apostrophes) or
  "1.234,5" (decimal comma; grouped by points, spaces or apostrophes); ungrouped values
  ("999", "3,14") fit either. When both fit and read some value differently (every comma
  value like "1,234"), the comma is a thousands separator, with a notice. The format is kept
  in the schema (`Column.number_format`) for predict time; such columns are never codes or IDs.
- datetime: timestamps, or text in which every present value is a year-first date
  (2021-03-04 or 2021/03/04, optional time and UTC offset). Expanded to float parts
  <col>__year, __month, __day, __dayofweek, plus __hour and __minute when some value has a
  time other than midnight. Day-first and month-first dates are ambiguous and stay text.
- categorical: everything else. Values become canonical text (numbers print as "3" or "2.5"
  however they were read). Levels kept: values seen at least twice, at most the 200 most
  frequent (ties by text); any other value, at training or at predict time, is missing.
  Levels are sorted by number when all are numbers ("2" before "10"), else as text.

Target and task (`load_training_data`)
- The target name is matched after stripping spaces; if absent, the closest names are
  suggested. Rows whose target is missing are dropped with a notice.
- Auto task: text and boolean targets are classes. A numeric target is classes when all its
  values are integers and there are 2 of them, or 3 to 20 code-like ones (spanning less than
  twice their count: 1..7 with gaps, not 0, 10, ..., 100) with at least 5 rows per value on
  average; otherwise regression. Two classes are binary, more multiclass.
- An explicit task is checked: regression needs a numeric target; binary needs exactly two
  classes, multiclass more than two. Every class needs at least 2 rows.
- Class labels are plain Python values, sorted: int (or float) when the target is numeric,
  else str, stripped, with numbers in canonical form ("True"/"False" for a boolean target);
  y holds their codes 0..k-1. Infinite target values count as missing.

Predict time (`Schema.features`): the same conversion as at training, whatever dtypes the
reader chose for the new file; unparseable cells and unseen levels become missing.
`Schema.read` also counts, per column, the present cells that are not of the trained kind
(numeric, boolean, datetime), so that predict can report them or refuse them.

Every problem raises `DataError` with one line naming the problem and the fix; nothing
returns a partial result.
"""

from automl_cli.data.load import TASKS, Dataset, load_training_data
from automl_cli.data.read import read_csv
from automl_cli.data.schema import Column, Schema
from automl_cli.errors import DataError

__all__ = [
    "TASKS",
    "Column",
    "DataError",
    "Dataset",
    "Schema",
    "load_training_data",
    "read_csv",
]
