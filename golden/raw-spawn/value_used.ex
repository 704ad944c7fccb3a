defmodule Golden.RawSpawn.ValueUsed do
  # start_child returns {:ok, pid} where spawn returned a pid: no fix where the value is read.
  def start_worker do
    pid = spawn(fn -> loop() end)
    {:ok, pid}
  end

  def start_other, do: spawn(fn -> loop() end)

  def start_many(n), do: for(_ <- 1..n, do: spawn(fn -> loop() end))

  def piped(fun) do
    fun |> spawn()
    :ok
  end

  defp loop, do: :ok
end
