defmodule Golden.DemonitorOnRemove.Unsubscribe do
  @moduledoc "Subscribers are monitored; unsubscribe forgets the ref but not the monitor."
  use GenServer

  def start_link, do: GenServer.start_link(__MODULE__, :ok)
  def subscribe(server, pid), do: GenServer.call(server, {:subscribe, pid})
  def unsubscribe(server, pid), do: GenServer.call(server, {:unsubscribe, pid})

  @impl true
  def init(:ok), do: {:ok, %{monitors: %{}, count: 0}}

  @impl true
  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, %{state | monitors: Map.put(state.monitors, pid, ref), count: state.count + 1}}
  end

  def handle_call({:unsubscribe, pid}, _from, state) do
    # forget the subscriber
    {:reply, :ok, %{state | monitors: Map.delete(state.monitors, pid)}}
  end

  @impl true
  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    {:noreply, %{state | monitors: Map.delete(state.monitors, pid)}}
  end
end
