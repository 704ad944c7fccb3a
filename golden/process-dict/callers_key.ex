defmodule Golden.ProcessDict.CallersKey do
  # Keys starting with "$" are maintained by OTP and Task: reading or propagating them
  # is the only way to reach that information.
  def callers, do: Process.get(:"$callers", [])

  def ancestors, do: Process.get(:"$ancestors")

  def run_as(callers, fun) do
    Process.put(:"$callers", callers)
    fun.()
  end
end
