defmodule Golden.DemonitorOnRemove.SingleField do
  use GenServer

  def init(owner) do
    ref = Process.monitor(owner)
    {:ok, Map.put(%{cache: %{}}, :owner_ref, ref)}
  end

  # One named field holds one monitor: not a map of monitors.
  def handle_call({:set_owner, owner}, _from, state) do
    ref = Process.monitor(owner)
    {:reply, :ok, Map.put(state, :owner_ref, ref)}
  end

  def handle_call(:clear_cache, _from, state) do
    {:reply, :ok, Map.delete(state, :cache)}
  end
end
