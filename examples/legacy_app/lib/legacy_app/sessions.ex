defmodule LegacyApp.Sessions do
  @moduledoc "Tracks client sessions and forgets them when their process dies."
  use GenServer

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, %{}, Keyword.put_new(opts, :name, __MODULE__))

  def track(pid), do: GenServer.call(__MODULE__, {:track, pid})

  @impl true
  def init(state), do: {:ok, state}

  @impl true
  def handle_call({:track, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, Map.put(state, pid, ref)}
  end

  @impl true
  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    # the session process is gone
    {:noreply, Map.delete(state, pid)}
  end
end
