defmodule Golden.RawSpawn.TestFile.WorkerTest do
  # Tests are skipped: a raw process is a fine test double.
  def fake_client, do: spawn(fn -> Process.sleep(:infinity) end)
end
