defmodule Golden.BroadCatch.AliasedExits do
  alias Golden.BroadCatch.Cache

  def cached(key) do
    Cache.fetch(key)
  catch
    :exit, reason -> {:error, reason}
  end

  def state(pid) do
    :sys.get_state(pid)
  catch
    :exit, _ -> nil
  end
end
