defmodule Golden.DemonitorOnRemove.Wrapped do
  use GenServer

  def init(_), do: {:ok, %{subs: %{}, by_ref: %{}}}

  def handle_call({:subscribe, pid, topic}, _from, state) do
    ref = Process.monitor(pid)
    subs = Map.put(state.subs, pid, {ref, topic})
    {:reply, :ok, %{state | subs: subs, by_ref: Map.put(state.by_ref, ref, pid)}}
  end

  # The value is {ref, topic}: reported, not rewritten.
  def handle_call({:unsubscribe, pid}, _from, state) do
    {:reply, :ok, %{state | subs: Map.delete(state.subs, pid)}}
  end

  # Keyed by the ref: reported, not rewritten.
  def handle_call({:forget, ref}, _from, state) do
    {:reply, :ok, %{state | by_ref: Map.delete(state.by_ref, ref)}}
  end
end
