defmodule Golden.DemonitorOnRemove.NestedModule do
  @moduledoc "The server is a nested module: the helper goes into it, indented like it."

  defmodule Server do
    use GenServer

    def init(_), do: {:ok, %{}}

    def handle_call({:track, pid}, _from, state) do
      {:reply, :ok, Map.put(state, pid, Process.monitor(pid))}
    end

    def handle_call({:untrack_all, pids}, _from, state) do
      {:reply, :ok, demonitor_drop(state, pids)}
    end

    defp demonitor_drop(monitors, keys) do
      for {_key, ref} <- Map.take(monitors, keys), is_reference(ref), do: Process.demonitor(ref, [:flush])
      Map.drop(monitors, keys)
    end
  end

  def child_spec(arg), do: Server.child_spec(arg)
end
