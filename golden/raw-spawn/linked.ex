defmodule Golden.RawSpawn.Linked do
  # A linked process dies with its caller; a supervised task does not: report, never fix.
  def start_link_worker do
    spawn_link(fn -> :ok end)
    Kernel.spawn_link(__MODULE__, :run, [])
    Process.spawn(fn -> :ok end, [:link])
    Process.spawn(__MODULE__, :run, [], [:monitor])
    :ok
  end

  def run, do: :ok
end
