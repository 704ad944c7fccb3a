defmodule Golden.BroadCatch.KindUsed do
  require Logger

  def value(agent) do
    try do
      Agent.get(agent, & &1)
    catch
      :exit = kind, reason ->
        Logger.warning("agent unavailable: #{inspect({kind, reason})}")
        {:error, {kind, reason}}
    end
  end
end
