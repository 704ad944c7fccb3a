defmodule LegacyApp.Suppressions do
  @moduledoc """
  Watches helper processes. Shows otpfix's suppression comments: one that is needed and
  one left behind after the code it excused was fixed (`unused-ignore` removes it).
  """
  use GenServer

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, %{}, opts)

  @impl true
  def init(state), do: {:ok, state}

  @impl true
  def handle_call({:watch, pid}, _from, state) do
    {:reply, :ok, Map.put(state, pid, Process.monitor(pid))}
  end

  @impl true
  # otpfix:ignore demonitor-down -- reviewed: the ref is never used after :DOWN
  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    {:noreply, Map.delete(state, pid)}
  end

  def handle_info({:forget, pid}, state) do # otpfix:ignore demonitor-down
    {:noreply, Map.delete(state, pid)}
  end
end
