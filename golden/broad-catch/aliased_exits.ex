defmodule Golden.BroadCatch.AliasedExits do
  alias Golden.BroadCatch.Cache

  def cached(key) do
    Cache.fetch(key)
  catch
    _, reason -> {:error, reason}
  end

  def state(pid) do
    :sys.get_state(pid)
  catch
    _, _ -> nil
  end
end
