defmodule LegacyApp.Subscriptions do
  @moduledoc "Topic subscriptions: subscribers are monitored so that dead ones are dropped."
  use GenServer

  def start_link(opts \\ []),
    do: GenServer.start_link(__MODULE__, :ok, Keyword.put_new(opts, :name, __MODULE__))

  def subscribe(pid \\ self()), do: GenServer.call(__MODULE__, {:subscribe, pid})
  def unsubscribe(pid \\ self()), do: GenServer.call(__MODULE__, {:unsubscribe, pid})
  def watch(pid), do: GenServer.cast(__MODULE__, {:watch, pid})
  def broadcast(message), do: GenServer.cast(__MODULE__, {:broadcast, message})

  @impl true
  def init(:ok), do: {:ok, %{monitors: %{}, watched: MapSet.new()}}

  @impl true
  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, %{state | monitors: Map.put(state.monitors, pid, ref)}}
  end

  def handle_call({:unsubscribe, pid}, _from, state) do
    # the subscriber asked to leave
    {:reply, :ok, %{state | monitors: Map.delete(state.monitors, pid)}}
  end

  @impl true
  def handle_cast({:watch, pid}, state) do
    Process.monitor(pid)
    {:noreply, %{state | watched: MapSet.put(state.watched, pid)}}
  end

  def handle_cast({:broadcast, message}, state) do
    for pid <- Map.keys(state.monitors), do: send(pid, message)
    {:noreply, state}
  end

  @impl true
  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    state = %{state | watched: MapSet.delete(state.watched, pid)}
    {:noreply, %{state | monitors: Map.delete(state.monitors, pid)}}
  end
end
