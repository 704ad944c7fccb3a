defmodule Golden.DemonitorOnRemove.Crlf do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_call({:track, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, Map.put(state, pid, ref)}
  end

  def handle_call({:untrack, pid}, _from, state) do
    {:reply, :ok, Map.delete(state, pid)}
  end

  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    {:noreply, Map.delete(state, pid)}
  end
end
