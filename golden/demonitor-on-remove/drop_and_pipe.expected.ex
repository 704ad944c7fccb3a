defmodule Golden.DemonitorOnRemove.DropAndPipe do
  use GenServer

  def init(_), do: {:ok, %{watchers: %{}}}

  def handle_call({:watch, pid}, _from, state) do
    ref = pid |> Process.monitor()
    {:reply, ref, put_in(state.watchers[pid], ref)}
  end

  def handle_call({:unwatch_all, pids}, _from, state) do
    {:reply, :ok, %{state | watchers: demonitor_drop(state.watchers, pids)}}
  end

  def handle_call({:unwatch, pid}, _from, state) do
    watchers = state.watchers |> demonitor_delete(pid)
    {:reply, :ok, %{state | watchers: watchers}}
  end

  defp demonitor_drop(monitors, keys) do
    for {_key, ref} <- Map.take(monitors, keys), is_reference(ref), do: Process.demonitor(ref, [:flush])
    Map.drop(monitors, keys)
  end

  defp demonitor_delete(monitors, key) do
    {ref, monitors} = Map.pop(monitors, key)
    if is_reference(ref), do: Process.demonitor(ref, [:flush])
    monitors
  end
end
