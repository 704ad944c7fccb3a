defmodule Golden.ProcessDict.TestFile.CacheTest do
  # Tests are skipped: stubbing through the process dictionary is a common test idiom.
  def stub(value), do: Process.put(:stub, value)

  def stubbed, do: Process.get(:stub)
end
